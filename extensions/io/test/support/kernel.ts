/**
 * A real kernel over PGlite with the bundled mify.io extension built from the current source,
 * and helpers to run its nodes and store credentials.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { setupOwner, startTestKernel, type TestKernel } from '../../../../kernel/src/test-support/kernel.js';

export const EXTENSION_FOLDER = fileURLToPath(new URL('../..', import.meta.url));

export interface OutputItem {
  json: Record<string, any>;
  binary?: Record<string, { mimeType: string; fileName?: string; data: string }>;
}

export interface IoTestKernel {
  t: TestKernel;
  workspaceId: string;
  /** Runs a node of mify.io and returns its items; `itemParameters` are per-item parameters, as the executor sends them for expressions. */
  runNode(type: string, items: OutputItem[], parameters: Record<string, unknown>, itemParameters?: Array<Record<string, unknown>>): Promise<OutputItem[]>;
  /** Runs a node and returns the error it fails with. */
  runNodeError(type: string, items: OutputItem[], parameters: Record<string, unknown>): Promise<Error & { code?: string }>;
  addCredential(name: string, type: string, data: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** Bundles src/index.ts into dist/index.js with the options of `pnpm run build`. */
export async function buildExtension(): Promise<void> {
  await build({ entryPoints: [`${EXTENSION_FOLDER}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${EXTENSION_FOLDER}/dist/index.js`, logLevel: 'warning' });
}

let runCount = 0;

export async function startIoKernel(env: Record<string, string> = {}): Promise<IoTestKernel> {
  await buildExtension();
  // The stub servers listen on 127.0.0.1, which http.fetch rejects unless private networks are allowed.
  const t = await startTestKernel('pglite', { env: { MIFY_ALLOW_PRIVATE_NETWORK: 'true', ...env } });
  const workspaceId = (await setupOwner(t)).workspace.id;
  const status = (await t.kernel.services.extensionHost.list()).find((extension: { id: string }) => extension.id === 'mify.io');
  if (!status || status.state !== 'active') throw new Error(`mify.io is not active in the test kernel: ${JSON.stringify(status)}`);

  const invoke = (type: string, items: OutputItem[], parameters: Record<string, unknown>, itemParameters?: Array<Record<string, unknown>>) => {
    runCount += 1;
    const runId = `run_io_${runCount}`;
    const input: Record<string, unknown> = {
      items,
      ports: { main: items },
      parameters,
      node: { id: 'node_1', name: type, type, typeVersion: 1, parameters },
      run: { id: runId, workspaceId, stepId: `${runId}_1`, idempotencyKey: `${runId}:node_1:1`, attempt: 1 },
    };
    if (itemParameters) input.itemParameters = itemParameters;
    return t.kernel.services.extensionHost.invoke('mify.io', { kind: 'node', name: type, input }, { workspaceId, runId, nodeId: 'node_1' }) as Promise<{ items: OutputItem[] }>;
  };

  return {
    t,
    workspaceId,
    async runNode(type, items, parameters, itemParameters) {
      return (await invoke(type, items, parameters, itemParameters)).items;
    },
    async runNodeError(type, items, parameters) {
      const outcome = await invoke(type, items, parameters).then(
        (output) => new Error(`expected the node to fail, but it returned ${JSON.stringify(output).slice(0, 300)}`),
        (error: Error) => error,
      );
      if (outcome.message.startsWith('expected the node to fail')) throw outcome;
      return outcome as Error & { code?: string };
    },
    async addCredential(name, type, data) {
      await t.kernel.services.vault.create(workspaceId, { name, type, data });
    },
    close: () => t.close(),
  };
}
