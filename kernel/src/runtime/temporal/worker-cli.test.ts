import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { loadConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';

function capture(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line), env: { MIFY_LOG_LEVEL: 'silent', ...env } }, out, err };
}

/** `mify worker` and the Temporal settings, checked before anything connects. */
describe('mify worker configuration', () => {
  it('prints its usage with --help', async () => {
    const { io, out } = capture({});

    expect(await runCli(['worker', '--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('Usage: mify worker');
  });

  it('rejects a missing TEMPORAL_ADDRESS', async () => {
    const { io, err } = capture({ DATABASE_URL: 'postgresql://mify@127.0.0.1:1/mify' });

    expect(await runCli(['worker'], io)).toBe(78);
    expect(err.join('\n')).toContain('mify worker needs TEMPORAL_ADDRESS');
  });

  it('rejects another run back end', async () => {
    const { io, err } = capture({ TEMPORAL_ADDRESS: '127.0.0.1:1', MIFY_RUN_BACKEND: 'embedded', DATABASE_URL: 'postgresql://mify@127.0.0.1:1/mify' });

    expect(await runCli(['worker'], io)).toBe(78);
    expect(err.join('\n')).toContain('MIFY_RUN_BACKEND=embedded');
  });

  it('rejects the embedded database', async () => {
    const { io, err } = capture({ TEMPORAL_ADDRESS: '127.0.0.1:1' });

    expect(await runCli(['worker'], io)).toBe(78);
    expect(err.join('\n')).toContain('mify worker needs DATABASE_URL');
  });

  it('lists worker in the help', async () => {
    const { io, out } = capture({});
    await runCli(['--help'], io);

    expect(out.join('\n')).toMatch(/^ {2}worker +Run a Temporal worker/m);
    expect(out.join('\n')).toContain('MIFY_TEMPORAL_TASK_QUEUE');
  });

  it('rejects the temporal back end without TEMPORAL_ADDRESS', () => {
    const error = (() => {
      try {
        loadConfig({ MIFY_RUN_BACKEND: 'temporal' });
      } catch (caught) {
        return caught;
      }
      return null;
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('MIFY_RUN_BACKEND=temporal needs TEMPORAL_ADDRESS');
  });

  it('reads the Temporal settings with their defaults', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:7233' });

    expect(config).toMatchObject({ runBackend: 'temporal', temporalNamespace: 'default', temporalTaskQueue: 'mify-runs', temporalWorker: true, temporalHeartbeatTimeoutMs: 30_000, temporalMaxPayloadBytes: 2_000_000 });
  });
});
