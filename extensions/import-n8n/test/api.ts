import { expect } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';

export interface ReportEntry { source: { id: string; name: string; type: string }; nodeId: string | null; nodeType: string | null; status: string; notes: string[]; flags: string[] }
export interface Report { platform: string; format: string; sourceVersion: string | null; nodes: ReportEntry[]; credentials: Array<{ nodeName: string; parameter: string; platformType: string }>; scheduleHints: Array<{ cron: string }>; counts: Record<string, number>; warnings: string[]; stickyNotes: number }
export interface GraphNode { id: string; name: string; type: string; parameters: Record<string, unknown>; position: { x: number; y: number } }
export interface Imported { graph: { id: string; name: string; scheduleHints: Array<{ cron: string }>; draft: { nodes: GraphNode[]; edges: Array<{ from: { node: string; port: string }; to: { node: string; port: string } }>; stickyNotes: unknown[] } }; report: Report; additionalGraphs: Array<{ graph: Imported['graph']; report: Report }> }
export interface Run { id: string; status: string; output: { items: Array<{ json: Record<string, unknown> }> } | null; error: { message: string } | null }

/** Starts a test kernel with an editor API key and returns helpers for the import routes. */
export async function startImportKernel(env: Record<string, string> = {}) {
  const t: TestKernel = await startTestKernel('pglite', { env });
  const owner = await setupOwner(t, { workspace: 'Imports' });
  const key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;

  async function call<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T; contentType: string }> {
    const response = await t.fetch(path, { method: init.method ?? (init.json === undefined ? 'GET' : 'POST'), key, ...(init.json === undefined ? {} : { json: init.json }) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, contentType: response.headers.get('content-type') ?? '' };
  }

  async function importFile(platform: string, fileName: string, content: string, extra: Record<string, unknown> = {}): Promise<Imported> {
    const { status, body } = await call<Imported>(`/api/graphs/import/${platform}`, { json: { fileName, content, ...extra } });
    expect(status, JSON.stringify(body)).toBe(201);
    return body;
  }

  async function run(graphId: string, input?: Array<Record<string, unknown>>): Promise<Run> {
    const started = await call<Run>(`/api/graphs/${graphId}/runs`, { json: { version: 'draft', wait: true, ...(input ? { input: input.map((json) => ({ json })) } : {}) } });
    return (await call<Run>(`/api/runs/${started.body.id}`)).body;
  }

  return { t, key, call, importFile, run };
}
