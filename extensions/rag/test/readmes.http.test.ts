import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';

interface RunBody {
  status: string;
  error: unknown;
  output: { items: Array<{ json: Record<string, any> }> } | null;
}

const PNPM_STORE = fileURLToPath(new URL('../../../node_modules/.pnpm', import.meta.url));

/** Packages whose README the test ingests; all are dependencies of this repository. */
const PACKAGES = ['fflate', 'awilix', 'pino', 'zod', 'yargs', 'hono', 'semver', 'ioredis'];

/** Questions written for these READMEs, each with the package whose README contains the answer. */
const QUESTIONS: Array<[question: string, packageName: string]> = [
  ['How do I dispose a container and the instances it created?', 'awilix'],
  ['What is the difference between the PROXY and CLASSIC injection modes?', 'awilix'],
  ['How do I subscribe to a channel and receive published messages?', 'ioredis'],
  ['How does the client connect through Sentinel for automatic failover?', 'ioredis'],
  ['Which commands are kept in the offline queue while the connection is down?', 'ioredis'],
  ['How are prerelease tags such as 1.2.3-alpha.1 handled in version ranges?', 'semver'],
  ['What does the caret range ^1.2.3 allow?', 'semver'],
  ['How do I decompress a gzip or zlib file with streaming?', 'fflate'],
  ['Can compression run asynchronously in a worker thread?', 'fflate'],
  ['Which web framework is built on Web Standards and runs on Cloudflare Workers, Deno and Bun?', 'hono'],
  ['How do I parse command line arguments and generate a help menu for my CLI tool?', 'yargs'],
  ['Which JavaScript logger has very low overhead?', 'pino'],
];

function readmeOf(packageName: string): string {
  const folder = fs
    .readdirSync(PNPM_STORE)
    .sort()
    .map((entry) => path.join(PNPM_STORE, entry, 'node_modules', packageName, 'README.md'))
    .find((candidate) => fs.existsSync(candidate));
  if (!folder) throw new Error(`No README.md of ${packageName} under node_modules/.pnpm; it is a dependency of this repository, so run pnpm install first.`);
  return fs.readFileSync(folder, 'utf8');
}

/**
 * Real input: a graph of mify.rag nodes (parse, Markdown chunking, local embedding, store)
 * ingests the READMEs of packages installed in this repository. A second graph (hybrid
 * retrieval, local rerank, extractive answer) returns an answer to each question with the chunk ids it used.
 * Everything runs in the real executor and sandbox over HTTP on 127.0.0.1.
 */
describe('rag graphs over real READMEs', () => {
  let t: TestKernel;
  let key: string;
  let answers: Array<{ json: Record<string, any> }> = [];

  async function runGraph(name: string, definition: unknown, input: unknown[]): Promise<RunBody> {
    const graph = await t.fetch('/api/graphs', { method: 'POST', key, json: { name, definition } });
    const graphBody = (await graph.json()) as { id: string };
    expect(graph.status, JSON.stringify(graphBody)).toBe(201);
    const run = await t.fetch(`/api/graphs/${graphBody.id}/runs`, { method: 'POST', key, json: { version: 'draft', wait: true, input } });
    const body = (await run.json()) as RunBody;
    expect(run.status, JSON.stringify(body).slice(0, 2000)).toBe(200);
    expect(body.status, JSON.stringify(body.error)).toBe('succeeded');
    return body;
  }

  beforeAll(async () => {
    t = await startTestKernel('pglite');
    const owner = await setupOwner(t, { workspace: 'Readmes' });
    key = ((await (await t.fetch('/api/api-keys', { method: 'POST', cookie: owner.cookie, json: { name: 'editor', role: 'editor' } })).json()) as { key: string }).key;

    const ingest = {
      nodes: [
        { id: 'parse', name: 'Parse', type: 'mify.rag.parse', typeVersion: 1, parameters: { mediaType: 'text/markdown' }, position: { x: 0, y: 0 } },
        { id: 'chunk', name: 'Chunk', type: 'mify.rag.chunk', typeVersion: 1, parameters: { strategy: 'markdown', chunkSize: 800, chunkOverlap: 100 }, position: { x: 200, y: 0 } },
        { id: 'embed', name: 'Embed', type: 'mify.rag.embed', typeVersion: 1, parameters: {}, position: { x: 400, y: 0 } },
        { id: 'store', name: 'Store', type: 'mify.rag.store', typeVersion: 1, parameters: { collection: 'readmes' }, position: { x: 600, y: 0 } },
      ],
      edges: [
        { from: { node: 'parse', port: 'main' }, to: { node: 'chunk', port: 'main' } },
        { from: { node: 'chunk', port: 'main' }, to: { node: 'embed', port: 'main' } },
        { from: { node: 'embed', port: 'main' }, to: { node: 'store', port: 'main' } },
      ],
    };
    const stored = await runGraph('Ingest READMEs', ingest, PACKAGES.map((packageName) => ({ json: { documentId: packageName, name: `${packageName}/README.md`, text: readmeOf(packageName) } })));
    expect(stored.output!.items[0]!.json).toMatchObject({ collection: 'readmes', documents: PACKAGES });

    const ask = {
      nodes: [
        { id: 'retrieve', name: 'Retrieve', type: 'mify.rag.retrieve', typeVersion: 1, parameters: { collection: 'readmes', mode: 'hybrid', topK: 8 }, position: { x: 0, y: 0 } },
        { id: 'rerank', name: 'Rerank', type: 'mify.rag.rerank', typeVersion: 1, parameters: { topN: 4 }, position: { x: 200, y: 0 } },
        { id: 'answer', name: 'Answer', type: 'mify.rag.answer', typeVersion: 1, parameters: { maxSentences: 2 }, position: { x: 400, y: 0 } },
      ],
      edges: [
        { from: { node: 'retrieve', port: 'main' }, to: { node: 'rerank', port: 'main' } },
        { from: { node: 'rerank', port: 'main' }, to: { node: 'answer', port: 'main' } },
      ],
    };
    answers = (await runGraph('Answer from READMEs', ask, QUESTIONS.map(([question]) => ({ json: { query: question } })))).output!.items;
  }, 240_000);

  afterAll(async () => {
    await t?.close();
  });

  it('answers every question', () => {
    expect(answers).toHaveLength(QUESTIONS.length);
    for (const item of answers) {
      expect(item.json.answer, item.json.query).not.toBe('');
      expect(item.json.chunkIds.length, item.json.query).toBeGreaterThan(0);
    }
  });

  it('retrieves the right README first', () => {
    const misses: string[] = [];
    for (const [question, packageName] of QUESTIONS) {
      const item = answers.find((answer) => answer.json.query === question)!;
      const top = item.json.chunks[0];
      if (top?.documentId !== packageName) misses.push(`${question} → ${top?.documentId} (${top?.chunkId}), expected ${packageName}`);
    }

    expect(misses).toEqual([]);
  });

  it('cites chunks of the right README', () => {
    for (const [question, packageName] of QUESTIONS) {
      const item = answers.find((answer) => answer.json.query === question)!;
      const retrieved = new Set(item.json.chunks.map((chunk: { chunkId: string }) => chunk.chunkId));

      expect(item.json.chunkIds[0], question).toMatch(new RegExp(`^${packageName}#\\d+$`));
      for (const chunkId of item.json.chunkIds) expect(retrieved.has(chunkId), `${question}: ${chunkId}`).toBe(true);
    }
  });
});
