/**
 * A real kernel over PGlite with the bundled mify.llm and mify.agents extensions, a chat
 * stub as the model, and helpers to run agent nodes in graphs over the HTTP API.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { setupOwner, startTestKernel, type TestKernel } from '../../../../kernel/src/test-support/kernel.js';
import { startChatStub, type ChatStub } from './chat-stub.js';

export const EXTENSION_FOLDER = fileURLToPath(new URL('../..', import.meta.url));

/** Model settings of every agent node in the tests: the stub through the openai-compatible provider. */
export const MODEL = { provider: 'openai-compatible', model: 'stub-model', credential: 'stub' } as const;

export interface TraceEntry {
  type: string;
  agent?: string;
  seq: number;
  [field: string]: unknown;
}

export interface AgentRun {
  id: string;
  status: string;
  error: { message: string; code: string } | null;
  usage: Record<string, number>;
  /** JSON of the agent node's output items (empty when the step failed). */
  output: Array<Record<string, any>>;
  /** The agent step's trace, as GET /api/runs/:id returns it. */
  trace: TraceEntry[];
}

export interface AgentTestKernel {
  t: TestKernel;
  stub: ChatStub;
  workspaceId: string;
  cookie: string;
  /** Runs a graph of one agent node on `input` and returns the run with the node's trace. */
  runAgent(type: string, parameters: Record<string, unknown>, input?: Array<Record<string, unknown>>): Promise<AgentRun>;
  /** Sends a JSON request to the kernel as the workspace owner. */
  api<T = any>(method: string, path: string, json?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** Bundles src/index.ts into dist/index.js with the options of `pnpm run build`, so tests run the current source. */
export async function buildExtension(): Promise<void> {
  await build({ entryPoints: [`${EXTENSION_FOLDER}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${EXTENSION_FOLDER}/dist/index.js`, logLevel: 'warning' });
}

export async function startAgentKernel(): Promise<AgentTestKernel> {
  await buildExtension();
  const stub = await startChatStub();
  // The stub and the test servers listen on 127.0.0.1, which http.fetch rejects unless private networks are allowed.
  const t = await startTestKernel('pglite', { env: { MIFY_ALLOW_PRIVATE_NETWORK: 'true' } });
  const owner = await setupOwner(t);
  const extensions = await t.kernel.services.extensionHost.list();
  for (const id of ['mify.llm', 'mify.agents']) {
    const status = extensions.find((extension: { id: string }) => extension.id === id);
    if (!status || status.state !== 'active') throw new Error(`${id} is not active in the test kernel: ${JSON.stringify(status)}`);
  }
  await t.kernel.services.vault.create(owner.workspace.id, { name: 'stub', type: 'mify.llm.openai-compatible', data: { baseUrl: stub.baseUrl, apiKey: 'stub-key' } });

  async function api<T>(method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
    const response = await t.fetch(path, { method, cookie: owner.cookie, ...(json === undefined ? {} : { json }) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  return {
    t,
    stub,
    workspaceId: owner.workspace.id,
    cookie: owner.cookie,
    api,
    async runAgent(type, parameters, input = [{ prompt: 'What is the weather in Oslo?' }]) {
      const graph = { nodes: [{ id: 'agent', name: 'Agent', type, typeVersion: 1, parameters: { ...MODEL, ...parameters } }], edges: [] };
      const started = await api<{ id: string }>('POST', '/api/runs', { graph, wait: true, input: input.map((json) => ({ json })) });
      if (started.status !== 201) throw new Error(`POST /api/runs answered ${started.status}: ${JSON.stringify(started.body)}`);
      const run = await api<{ id: string; status: string; error: AgentRun['error']; usage: Record<string, number>; steps: Array<{ nodeId: string; trace: TraceEntry[]; output: { ports: { main: Array<{ json: Record<string, unknown> }> } } | null }> }>('GET', `/api/runs/${started.body.id}`);
      const step = run.body.steps.find((candidate) => candidate.nodeId === 'agent');
      return {
        id: run.body.id,
        status: run.body.status,
        error: run.body.error,
        usage: run.body.usage,
        output: (step?.output?.ports.main ?? []).map((item) => item.json),
        trace: step?.trace ?? [],
      };
    },
    async close() {
      await t.close();
      await stub.close();
    },
  };
}

/** Returns the trace entries as `type` or `type:agent` strings, for step-by-step comparisons. */
export function traceShape(trace: TraceEntry[]): string[] {
  return trace.map((entry) => (entry.agent ? `${entry.type}:${entry.agent}` : entry.type));
}
