/**
 * A real kernel over PGlite with the publishing extensions built from their current source,
 * an owner, API keys, and a helper that creates and publishes graphs. The tests of
 * publish-mcp, publish-a2a and publish-agent-protocol use it too.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { setupOwner, startTestKernel, type TestKernel } from '../../../../kernel/src/test-support/kernel.js';

const EXTENSIONS_DIR = fileURLToPath(new URL('../../../', import.meta.url));
export const PUBLISHING_EXTENSIONS = ['publish-rest', 'publish-mcp', 'publish-a2a', 'publish-agent-protocol', 'remote-agents'];

/** Bundles each extension's src/index.ts into dist/index.js with the options of `pnpm run build`. */
export async function buildExtensions(names: string[] = PUBLISHING_EXTENSIONS): Promise<void> {
  for (const name of names) {
    await build({ entryPoints: [`${EXTENSIONS_DIR}${name}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${EXTENSIONS_DIR}${name}/dist/index.js`, logLevel: 'warning' });
  }
}

export interface PublishKernel {
  t: TestKernel;
  cookie: string;
  workspaceId: string;
  workspaceSlug: string;
  /** Editor-role API key of the workspace. */
  key: string;
  viewerKey: string;
  /** Creates a graph with a slug, publishes it and returns its id and version id. */
  publish(input: { name: string; slug: string; definition: unknown; endpointAuth?: 'api_key' | 'public'; settings?: Record<string, unknown>; description?: string; publish?: boolean }): Promise<{ id: string; versionId: string | null }>;
  close(): Promise<void>;
}

/** Starts the kernel after building `extensions` (folder names), and checks that each of them is active. */
export async function startPublishKernel(options: { env?: Record<string, string>; extensions?: string[] } = {}): Promise<PublishKernel> {
  const extensions = options.extensions ?? PUBLISHING_EXTENSIONS;
  await buildExtensions(extensions);
  const t = await startTestKernel('pglite', { env: options.env ?? {} });
  const owner = await setupOwner(t, { workspace: 'Publishing' });
  for (const id of extensions.map((name) => `mify.${name}`)) {
    const status = (await t.kernel.services.extensionHost.list()).find((extension) => extension.id === id);
    if (!status || status.state !== 'active') throw new Error(`${id} is not active in the test kernel: ${JSON.stringify(status)}`);
  }

  const createKey = async (role: string) => {
    const response = await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: role, role } });
    if (response.status !== 201) throw new Error(`creating a ${role} key failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { key: string }).key;
  };
  const key = await createKey('editor');
  const viewerKey = await createKey('viewer');

  return {
    t,
    cookie: owner.cookie,
    workspaceId: owner.workspace.id,
    workspaceSlug: owner.workspace.slug,
    key,
    viewerKey,
    async publish(input) {
      const created = await t.fetch('/api/graphs', { method: 'POST', key, json: { name: input.name, slug: input.slug, description: input.description ?? '', endpointAuth: input.endpointAuth ?? 'api_key', settings: input.settings ?? {}, definition: input.definition } });
      const graph = (await created.json()) as { id: string };
      if (created.status !== 201) throw new Error(`creating graph ${input.slug} failed: ${created.status} ${JSON.stringify(graph)}`);
      if (input.publish === false) return { id: graph.id, versionId: null };
      const published = await t.fetch(`/api/graphs/${graph.id}/publish`, { method: 'POST', key });
      const body = (await published.json()) as { id?: string; version?: { id: string } };
      if (published.status >= 300) throw new Error(`publishing ${input.slug} failed: ${published.status} ${JSON.stringify(body)}`);
      return { id: graph.id, versionId: body.version?.id ?? body.id ?? null };
    },
    close: () => t.close(),
  };
}

/** A webhook-style graph: webhook trigger, one transform that adds `greeting`, and a JSON response. */
export function greetingGraph(path = 'greet'): unknown {
  return {
    name: 'Greeting',
    nodes: [
      { id: 'hook', name: 'Webhook', type: 'mify.io.webhook', typeVersion: 1, parameters: { path, methods: ['POST'], responseMode: 'responseNode' }, position: { x: 0, y: 0 } },
      { id: 'shape', name: 'Shape', type: 'mify.data.edit-fields', typeVersion: 1, parameters: { operations: [{ op: 'set', path: 'greeting', value: 'Hello, {{ $json.body.name }}!' }, { op: 'keepOnly', paths: ['greeting'] }] }, position: { x: 200, y: 0 } },
      { id: 'respond', name: 'Respond', type: 'mify.io.respond-to-webhook', typeVersion: 1, parameters: { body: 'firstItemJson' }, position: { x: 400, y: 0 } },
    ],
    edges: [
      { from: { node: 'hook', port: 'main' }, to: { node: 'shape', port: 'main' } },
      { from: { node: 'shape', port: 'main' }, to: { node: 'respond', port: 'main' } },
    ],
  };
}

/** JSON Schema of the greeting graph's input, set as the graph's settings.endpoint.inputSchema. */
export const GREETING_INPUT_SCHEMA = { type: 'object', properties: { name: { type: 'string', minLength: 1, description: 'Who to greet' } }, required: ['name'], additionalProperties: false };
