import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import wabtInit from 'wabt';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { MifyError } from '../../../errors.js';
import { HOST_METHOD_NAMES } from '../../host-api/index.js';
import { createLogger } from '../../../logger.js';
import { ExtensionCallError, type HostBridge } from '../types.js';
import { createWasmRuntime, defaultExportName, WasmModuleRejectedError, type WasmExtensionRuntime, type WasmRuntimeOptions } from './index.js';

const SAMPLE_DIR = fileURLToPath(new URL('../../../../../extensions/sample-wasm/', import.meta.url));
const SAMPLE_WASM = `${SAMPLE_DIR}dist/plugin.wasm`;
const SAMPLE_SOURCE = `${SAMPLE_DIR}src/plugin.ts`;
const SAMPLE_MANIFEST = JSON.parse(readFileSync(`${SAMPLE_DIR}mify.extension.json`, 'utf8')) as {
  id: string;
  limits: { memoryLimitMb: number; timeoutMs: number };
  contributes: { nodes: Array<{ type: string; handler: string }> };
};

/** Builds the sample extension when its module is missing or older than its source. */
function ensureSampleBuilt(): void {
  if (existsSync(SAMPLE_WASM) && statSync(SAMPLE_WASM).mtimeMs >= statSync(SAMPLE_SOURCE).mtimeMs) return;
  execFileSync('pnpm', ['run', 'build'], { cwd: SAMPLE_DIR, stdio: 'pipe' });
}

let wabt: Awaited<ReturnType<typeof wabtInit>>;

function compileFixture(name: string): Uint8Array {
  const path = fileURLToPath(new URL(`./fixtures/${name}.wat`, import.meta.url));
  const module = wabt.parseWat(`${name}.wat`, readFileSync(path, 'utf8'));
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** Creates a debug logger whose JSON lines the test can read. */
function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const lines = () => chunks.join('').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

/** Creates a host bridge that records every call and returns what `handler` returns. */
function recordingBridge(handler: (method: string, args: unknown[]) => Promise<unknown> = async () => null) {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const bridge: HostBridge = {
    async call(method, args) {
      calls.push({ method, args });
      return handler(method, args);
    },
  };
  return { bridge, calls };
}

const runtimes: WasmExtensionRuntime[] = [];

async function start(options: Partial<WasmRuntimeOptions> & Pick<WasmRuntimeOptions, 'wasm'>): Promise<WasmExtensionRuntime> {
  const runtime = await createWasmRuntime({
    extensionId: 'test.guest',
    limits: { memoryLimitMb: 16, timeoutMs: 2_000 },
    logger: createLogger({ level: 'silent' }),
    ...options,
  });
  runtimes.push(runtime);
  return runtime;
}

async function callError(promise: Promise<unknown>): Promise<ExtensionCallError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ExtensionCallError);
  return error as ExtensionCallError;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

beforeAll(async () => {
  wabt = await wabtInit();
  ensureSampleBuilt();
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.dispose()));
});

describe('sample-wasm text-stats node', () => {
  const nodeType = 'mify.sample-wasm.text-stats';

  async function startSample(): Promise<WasmExtensionRuntime> {
    const node = SAMPLE_MANIFEST.contributes.nodes.find((entry) => entry.type === nodeType);
    return start({
      extensionId: SAMPLE_MANIFEST.id,
      wasm: SAMPLE_WASM,
      limits: SAMPLE_MANIFEST.limits,
      exports: node === undefined ? {} : { [nodeType]: node.handler },
    });
  }

  it('counts and reverses the text of each item', async () => {
    const runtime = await startSample();
    const { bridge } = recordingBridge();

    const output = await runtime.invoke(
      {
        kind: 'node',
        name: nodeType,
        input: {
          parameters: { transform: 'reverse' },
          items: [{ json: { text: 'héllo wörld 😀\nsecond line\n', id: 1 } }, { json: { text: '' } }],
        },
      },
      bridge,
    );

    expect(output).toEqual({
      items: [
        { json: { text: '\nenil dnoces\n😀 dlröw olléh', id: 1, stats: { characters: 26, words: 5, lines: 2 } } },
        { json: { text: '', stats: { characters: 0, words: 0, lines: 0 } } },
      ],
    });
  });

  it('uppercases a chosen field', async () => {
    const runtime = await startSample();
    const { bridge } = recordingBridge();

    const output = await runtime.invoke(
      { kind: 'node', name: nodeType, input: { parameters: { field: 'body', transform: 'uppercase' }, items: [{ json: { body: 'straße one' } }] } },
      bridge,
    );

    expect(output).toEqual({ items: [{ json: { body: 'STRASSE ONE', stats: { characters: 10, words: 2, lines: 1 } } }] });
  });

  it('logs once through mify_host_call', async () => {
    const runtime = await startSample();
    const { bridge, calls } = recordingBridge();

    await runtime.invoke({ kind: 'node', name: nodeType, input: { items: [{ json: { text: 'a' } }, { json: { text: 'b' } }] } }, bridge);

    expect(calls).toEqual([{ method: 'log.info', args: ['text-stats processed 2 items'] }]);
    // The recording bridge accepts any method; the kernel's host API must know this one.
    expect(HOST_METHOD_NAMES).toContain(calls[0]!.method);
  });

  it('fails a call whose item lacks the field', async () => {
    const runtime = await startSample();
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: nodeType, input: { items: [{ json: { other: 1 } }] } }, bridge));

    expect(error.reason).toBe('threw');
    expect(error.message).toBe("Extension 'mify.sample-wasm' failed in export 'text_stats': item 0: field 'text' is missing or not a string");
  });

  it('keeps memory bounded over 2000 calls', async () => {
    const runtime = await startSample();
    const { bridge } = recordingBridge();
    const input = { parameters: { transform: 'uppercase' }, items: [{ json: { text: 'the quick brown fox '.repeat(50) } }] };

    const samples = [];
    for (let round = 0; round < 4; round += 1) {
      for (let call = 0; call < 500; call += 1) await runtime.invoke({ kind: 'node', name: nodeType, input }, bridge);
      samples.push(await runtime.memoryUsage());
    }

    for (const sample of samples) {
      expect(sample?.hostBlockBytes).toBe(0);
      expect(sample?.callsSinceReset).toBe(0);
    }
    expect(samples[3]?.linearMemoryBytes).toBe(samples[0]?.linearMemoryBytes);
  });

  it('grows host memory without resets', async () => {
    const node = SAMPLE_MANIFEST.contributes.nodes[0];
    const runtime = await start({ extensionId: SAMPLE_MANIFEST.id, wasm: SAMPLE_WASM, limits: SAMPLE_MANIFEST.limits, resetEvery: 1_000_000, exports: { [nodeType]: node?.handler ?? '' } });
    const { bridge } = recordingBridge();
    const input = { items: [{ json: { text: 'some words here' } }] };

    for (let call = 0; call < 100; call += 1) await runtime.invoke({ kind: 'node', name: nodeType, input }, bridge);
    const after100 = await runtime.memoryUsage();
    for (let call = 0; call < 100; call += 1) await runtime.invoke({ kind: 'node', name: nodeType, input }, bridge);
    const after200 = await runtime.memoryUsage();

    expect(after100?.callsSinceReset).toBe(100);
    expect(after200?.hostBlockBytes).toBeGreaterThan(1.9 * (after100?.hostBlockBytes ?? 0));
  });
});

describe('createWasmRuntime invocation', () => {
  it('maps a contribution to its default export', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    const output = await runtime.invoke({ kind: 'node', name: 'test.guest.echo', input: { a: [1, 'é', null], b: { c: true } } }, bridge);

    expect(output).toEqual({ a: [1, 'é', null], b: { c: true } });
  });

  it('maps a contribution through the exports option', async () => {
    const runtime = await start({ wasm: compileFixture('guest'), exports: { 'test.guest.copy': 'echo' } });
    const { bridge } = recordingBridge();

    const output = await runtime.invoke({ kind: 'node', name: 'test.guest.copy', input: [1, 2] }, bridge);

    expect(output).toEqual([1, 2]);
  });

  it('derives export names from contribution names', () => {
    expect(defaultExportName('mify.sample-wasm.text-stats')).toBe('text_stats');
    expect(defaultExportName('plain')).toBe('plain');
    expect(defaultExportName('mify.x.a b$c')).toBe('a_b_c');
  });

  it('rejects an unknown contribution as not_found', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'route', name: 'test.guest.missing', input: null }, bridge));

    expect(error.reason).toBe('not_found');
    expect(error.message).toContain("Extension 'test.guest' has no export 'missing' for route 'test.guest.missing'");
  });

  it('fails invalid JSON output as invalid_output', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: 'bad_json', input: null }, bridge));

    expect(error.reason).toBe('invalid_output');
    expect(error.message).toContain("Extension 'test.guest' returned output from export 'bad_json' that is not valid JSON");
    expect(error.message).toContain('"{not json"');
  });

  it('fails a missing output as invalid_output', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: 'no_output', input: null }, bridge));

    expect(error.reason).toBe('invalid_output');
    expect(error.message).toContain("returned no output from export 'no_output'");
  });

  it('reports a plugin error as threw', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: 'plugin_error', input: null }, bridge));

    expect(error.reason).toBe('threw');
    expect(error.message).toBe("Extension 'test.guest' failed in export 'plugin_error': custom failure");
  });

  it('reports a trap as threw and recovers', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: 'trap', input: null }, bridge));
    const next = await runtime.invoke({ kind: 'node', name: 'echo', input: 'after trap' }, bridge);

    expect(error.reason).toBe('threw');
    expect(error.message).toContain("Extension 'test.guest' failed in export 'trap': RuntimeError: unreachable");
    expect(error.message).toContain('last error log line of the plugin: about to trap');
    expect(next).toBe('after trap');
  });

  it('calls onFailure with each failed call', async () => {
    const failures: ExtensionCallError[] = [];
    const runtime = await start({ wasm: compileFixture('guest'), onFailure: (error) => failures.push(error) });
    const { bridge } = recordingBridge();

    await runtime.invoke({ kind: 'node', name: 'trap', input: null }, bridge).catch(() => undefined);
    await runtime.invoke({ kind: 'node', name: 'bad_json', input: null }, bridge).catch(() => undefined);
    await runtime.invoke({ kind: 'node', name: 'noop', input: null }, bridge);

    expect(failures.map((failure) => failure.reason)).toEqual(['threw', 'invalid_output']);
  });

  it('keeps plugin variables across resets', async () => {
    const runtime = await start({ wasm: compileFixture('guest'), resetEvery: 1 });
    const { bridge } = recordingBridge();

    const counts = [];
    for (let call = 0; call < 3; call += 1) counts.push(await runtime.invoke({ kind: 'node', name: 'count_calls', input: null }, bridge));

    expect(counts).toEqual([1, 2, 3]);
  });

  it('runs calls one at a time in order', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    const outputs = await Promise.all(Array.from({ length: 20 }, (_, index) => runtime.invoke({ kind: 'node', name: 'echo', input: index }, bridge)));

    expect(outputs).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });
});

describe('createWasmRuntime WASI', () => {
  it('passes allowedPaths as WASI preopens', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'mify-wasm-preopen-'));
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    const withPath = await start({ wasm: compileFixture('wasi-preopen'), allowedPaths: { '/data': directory } });
    const withoutPath = await start({ wasm: compileFixture('wasi-preopen') });
    const { bridge } = recordingBridge();

    const opened = await withPath.invoke({ kind: 'node', name: 'has_preopen', input: null }, bridge);
    const notOpened = await withoutPath.invoke({ kind: 'node', name: 'has_preopen', input: null }, bridge);

    expect(opened).toBe(true);
    expect(notOpened).toBe(false);
  });
});

describe('createWasmRuntime host calls', () => {
  it('round-trips a host call through the bridge', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge, calls } = recordingBridge(async (method, args) => ({ method, first: args[0] }));

    const output = await runtime.invoke({ kind: 'node', name: 'host_echo', input: { method: 'kv.get', args: ['key-1', 2] } }, bridge);

    expect(calls).toEqual([{ method: 'kv.get', args: ['key-1', 2] }]);
    expect(output).toEqual({ ok: true, result: { method: 'kv.get', first: 'key-1' } });
  });

  it('returns a bridge error to the guest', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge(async () => {
      throw new MifyError('permission_denied', 403, "Extension 'test.guest' lacks permission 'kv:read'.");
    });

    const output = await runtime.invoke({ kind: 'node', name: 'host_echo', input: { method: 'kv.get', args: [] } }, bridge);

    expect(output).toEqual({ ok: false, error: { code: 'permission_denied', message: "Extension 'test.guest' lacks permission 'kv:read'." } });
  });

  it('rejects a malformed host call request', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge, calls } = recordingBridge();

    const output = (await runtime.invoke({ kind: 'node', name: 'host_echo', input: { method: 'kv.get', args: 'not an array' } }, bridge)) as {
      ok: boolean;
      error: { code: string };
    };

    expect(calls).toEqual([]);
    expect(output.ok).toBe(false);
    expect(output.error.code).toBe('invalid_request');
  });

  it('times out a call stuck in a host call', async () => {
    const runtime = await start({ wasm: compileFixture('guest'), limits: { memoryLimitMb: 16, timeoutMs: 300 } });
    let release: () => void = () => undefined;
    const stuck = recordingBridge(() => new Promise((resolve) => (release = () => resolve('late'))));
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: 'host_echo', input: { method: 'slow', args: [] } }, stuck.bridge));
    release();
    const next = await runtime.invoke({ kind: 'node', name: 'echo', input: 'fresh worker' }, bridge);

    expect(error.reason).toBe('timeout');
    expect(next).toBe('fresh worker');
  });
});

describe('createWasmRuntime watchdog', () => {
  it('times out an endless loop and recovers', async () => {
    const runtime = await start({ wasm: compileFixture('guest'), limits: { memoryLimitMb: 16, timeoutMs: 250 } });
    const { bridge } = recordingBridge();

    const startedAt = performance.now();
    const error = await callError(runtime.invoke({ kind: 'node', name: 'spin', input: null }, bridge));
    const elapsedMs = performance.now() - startedAt;
    const next = await runtime.invoke({ kind: 'node', name: 'echo', input: 'next call' }, bridge);

    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(
      "Extension 'test.guest' timed out after 250 ms in export 'spin'; its worker was terminated and the next call starts a new one",
    );
    expect(elapsedMs).toBeLessThan(2_000);
    expect(next).toBe('next call');
  });

  it('fails host memory overuse as memory', async () => {
    const runtime = await start({ wasm: compileFixture('guest'), limits: { memoryLimitMb: 8, timeoutMs: 5_000 } });
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: 'hog_host_memory', input: null }, bridge));
    const next = await runtime.invoke({ kind: 'node', name: 'echo', input: 1 }, bridge);

    expect(error.reason).toBe('memory');
    expect(error.message).toContain("Extension 'test.guest' exceeded its memory limit in export 'hog_host_memory'");
    expect(error.message).toContain('above its limit of 8388608 bytes');
    expect(next).toBe(1);
  });

  it('fails an input above the memory limit', async () => {
    const runtime = await start({ wasm: compileFixture('guest'), limits: { memoryLimitMb: 1, timeoutMs: 5_000 } });
    const { bridge } = recordingBridge();

    const error = await callError(runtime.invoke({ kind: 'node', name: 'echo', input: 'x'.repeat(2 * 1024 * 1024) }, bridge));
    const next = await runtime.invoke({ kind: 'node', name: 'echo', input: 'small' }, bridge);

    expect(error.reason).toBe('memory');
    expect(error.message).toContain('above its limit of 1048576 bytes');
    expect(next).toBe('small');
  });

  it('rejects a module whose start function loops', async () => {
    const error = await rejection(start({ wasm: compileFixture('start-loops'), limits: { memoryLimitMb: 1, timeoutMs: 300 } }));

    expect(error).toBeInstanceOf(WasmModuleRejectedError);
    expect(error.message).toContain("Extension 'test.guest': timed out after 300 ms while instantiating its module");
  });
});

describe('createWasmRuntime memory declarations', () => {
  it('rejects memory without a maximum', async () => {
    const error = await rejection(start({ wasm: compileFixture('memory-without-maximum') }));

    expect(error).toBeInstanceOf(WasmModuleRejectedError);
    expect(error.message).toBe(
      "Extension 'test.guest': memory 0 declares 2 initial pages and no maximum; the cap is 256 pages (16 MiB, from limits.memoryLimitMb in the manifest). " +
        'Rebuild the module with a maximum memory of at most 256 pages (for AssemblyScript: --maximumMemory 256).',
    );
  });

  it('rejects a maximum above memoryLimitMb', async () => {
    const error = await rejection(start({ wasm: compileFixture('memory-huge-maximum') }));

    expect(error).toBeInstanceOf(WasmModuleRejectedError);
    expect(error.message).toContain("Extension 'test.guest': memory 0 declares a maximum of 65536 pages (4096 MiB), above the cap of 256 pages (16 MiB");
  });

  it('rejects a maximum above the kernel cap', async () => {
    const error = await rejection(start({ wasm: compileFixture('memory-huge-maximum'), limits: { memoryLimitMb: 100_000, timeoutMs: 1_000 } }));

    expect(error.message).toContain('above the cap of 4096 pages (256 MiB, from the kernel cap)');
  });

  it('rejects imported memory without a maximum', async () => {
    const error = await rejection(start({ wasm: compileFixture('imported-memory') }));

    expect(error.message).toContain("imported memory 'env.memory' declares 1 initial pages and no maximum");
  });

  it('rejects bytes that are not WebAssembly', async () => {
    const error = await rejection(start({ wasm: new TextEncoder().encode('not wasm at all') }));

    expect(error).toBeInstanceOf(WasmModuleRejectedError);
    expect(error.message).toContain("Extension 'test.guest': its module is not valid WebAssembly");
  });

  it('rejects a missing module file', async () => {
    const error = await rejection(start({ wasm: '/nonexistent/plugin.wasm' }));

    expect(error.message).toContain("its module file '/nonexistent/plugin.wasm' could not be read");
  });

  it('rejects an exports entry the module lacks', async () => {
    const error = await rejection(start({ wasm: compileFixture('guest'), exports: { 'test.guest.node': 'absent' } }));

    expect(error.message).toContain("contribution 'test.guest.node' maps to export 'absent', which the module does not export as a function");
  });
});

describe('createWasmRuntime logs', () => {
  it('forwards plugin logs with the extension id', async () => {
    const { logger, lines } = captureLogger();
    const runtime = await start({ wasm: compileFixture('guest'), logger });
    const { bridge } = recordingBridge();

    await runtime.invoke({ kind: 'node', name: 'log_many', input: null }, bridge);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pluginLines = lines().filter((line) => line.source === 'plugin');

    expect(pluginLines.filter((line) => line.msg === 'log line')).toHaveLength(100);
    expect(pluginLines.at(-1)?.msg).toBe('dropped 50 plugin log lines beyond the limit of 100 per call');
    expect(pluginLines.every((line) => line.extensionId === 'test.guest')).toBe(true);
  });
});

describe('createWasmRuntime dispose', () => {
  it('rejects calls after dispose', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });
    const { bridge } = recordingBridge();

    await runtime.dispose();
    const error = await callError(runtime.invoke({ kind: 'node', name: 'echo', input: 1 }, bridge));

    expect(error.reason).toBe('not_found');
    expect(error.message).toBe("Extension 'test.guest' is not loaded: its WASM runtime was disposed.");
    expect(await runtime.memoryUsage()).toBeNull();
  });

  it('stops a running call', async () => {
    const runtime = await start({ wasm: compileFixture('guest'), limits: { memoryLimitMb: 16, timeoutMs: 60_000 } });
    const { bridge } = recordingBridge();

    const running = callError(runtime.invoke({ kind: 'node', name: 'spin', input: null }, bridge));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runtime.dispose();
    const error = await running;

    expect(error.reason).toBe('crashed');
    expect(error.message).toContain('was stopped: its WASM runtime was disposed while the call ran');
  });

  it('allows dispose twice', async () => {
    const runtime = await start({ wasm: compileFixture('guest') });

    await runtime.dispose();

    await expect(runtime.dispose()).resolves.toBeUndefined();
  });
});
