/**
 * A real kernel over PGlite with the bundled mify.llm extension loaded from its built
 * `dist/index.js`, and helpers to run its nodes and to call `llm.chat` through the gateway.
 */
import { fileURLToPath } from 'node:url';
import { writeIsolateExtension } from '../../../../kernel/src/test-support/extensions.js';
import { setupOwner, startTestKernel, type TestKernel } from '../../../../kernel/src/test-support/kernel.js';

export const EXTENSION_FOLDER = fileURLToPath(new URL('../..', import.meta.url));

export interface LlmTestKernel {
  t: TestKernel;
  workspaceId: string;
  /** Session cookie of the workspace owner, for HTTP requests. */
  cookie: string;
  /** Runs a node of mify.llm and returns its raw output (ports and usage). */
  runNode(type: string, items: Array<{ json: Record<string, unknown>; binary?: Record<string, unknown> }>, parameters: Record<string, unknown>): Promise<Record<string, any>>;
  /** Calls `llm.chat` or `llm.embed` from another extension's node, through the kernel's gateway. */
  callGateway(method: 'llm.chat' | 'llm.embed', request: Record<string, unknown>): Promise<any>;
  addCredential(name: string, type: string, data: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

let runCount = 0;

export async function startLlmKernel(): Promise<LlmTestKernel> {
  // The vendor stubs listen on 127.0.0.1, which http.fetch rejects unless private networks are allowed.
  const t = await startTestKernel('pglite', { env: { MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
  const owner = await setupOwner(t);
  const workspaceId = owner.workspace.id;
  const status = (await t.kernel.services.extensionHost.list()).find((extension: { id: string }) => extension.id === 'mify.llm');
  if (!status || status.state !== 'active') throw new Error(`mify.llm is not active in the test kernel (${JSON.stringify(status)}); build it with pnpm run build in ${EXTENSION_FOLDER}.`);

  await t.kernel.services.extensionHost.install({
    folder: writeIsolateExtension({
      id: 'acme.asker',
      manifest: { permissions: ['llm:invoke'], limits: { memoryLimitMb: 32, timeoutMs: 5000 } },
      code: `export default { nodes: { 'acme.asker.echo': { async execute(ctx, input) {
        const { method, request } = input.items[0].json;
        try { return { items: [{ json: { result: await ctx.host.call(method, [request]) } }] }; }
        catch (error) { return { items: [{ json: { error: { name: error.name, code: error.code, message: error.message } } }] }; }
      } } } };`,
    }),
  });

  return {
    t,
    workspaceId,
    cookie: owner.cookie,
    async runNode(type, items, parameters) {
      runCount += 1;
      const runId = `run_llm_${runCount}`;
      return (await t.kernel.services.extensionHost.invoke(
        'mify.llm',
        {
          kind: 'node',
          name: type,
          input: { items, ports: { main: items }, parameters, node: { id: 'node_1', name: type, type, typeVersion: 1, parameters }, run: { id: runId, workspaceId, stepId: `${runId}_1`, idempotencyKey: `${runId}:node_1:1`, attempt: 1 } },
        },
        { workspaceId, runId, nodeId: 'node_1' },
      )) as Record<string, any>;
    },
    async callGateway(method, request) {
      const output = (await t.kernel.services.extensionHost.invoke('acme.asker', { kind: 'node', name: 'acme.asker.echo', input: { items: [{ json: { method, request } }] } }, { workspaceId })) as { items: Array<{ json: any }> };
      return output.items[0]!.json;
    },
    async addCredential(name, type, data) {
      await t.kernel.services.vault.create(workspaceId, { name, type, data });
    },
    close: () => t.close(),
  };
}
