/**
 * Retrieval latency over a large vector collection with an HNSW index, on each database
 * back end in one process run.
 *
 *   cd kernel && node --no-node-snapshot --import tsx ../bench/rag/rag.ts
 *
 * Back ends: PGlite (embedded, always) and, when DATABASE_URL points at a PostgreSQL server
 * with pgvector, a fresh database on that server (skipped with the reason otherwise).
 *
 * Corpus: BENCH_RAG_CHUNKS (default 100,000) synthetic chunks of 120 words each, drawn with a
 * Zipf distribution from the vocabulary of the READMEs under node_modules/.pnpm and a fixed
 * seed, so every run stores the same text. Chunks are embedded with the local embedder of
 * mify.rag (512 dimensions), bulk-loaded, and then the HNSW index is built (pgvector defaults
 * m = 16, ef_construction = 64). Queries are 8-word texts drawn the same way and embedded
 * before timing. Each mode (similarity, MMR and hybrid, all with topK 10) runs
 * BENCH_RAG_QUERIES queries after 20 warm-up queries, one at a time. The queries go through
 * the kernel's VectorStore, which is the code behind the knowledge-base and vector-store APIs,
 * without HTTP. Recall@10 compares similarity results with an exact scan for 50 queries.
 *
 * BENCH_RAG_CORPUS=readmes replaces the synthetic corpus with real text: every distinct
 * README.md under node_modules/.pnpm, chunked by the Markdown chunker (800 characters, 100
 * overlap), queried with README headings of at least three words.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VectorStore, type VectorCollection } from '../../kernel/src/knowledge/vector-store.js';
import { createLogger } from '../../kernel/src/logger.js';
import { openDatabase, type Database } from '../../kernel/src/storage/database.js';
import { migrate } from '../../kernel/src/storage/migrator.js';
import { createServerDatabase, dropServerDatabase } from '../../kernel/src/test-support/databases.js';
import { chunkText } from '../../extensions/rag/src/chunk/index.js';
import { embedLocal, LOCAL_DIMENSIONS } from '../../extensions/rag/src/embed/local.js';
// @ts-expect-error: plain JavaScript helpers shared by the benchmarks.
import { describeMachine } from '../lib/machine.mjs';

const CHUNKS = Number(process.env.BENCH_RAG_CHUNKS ?? 100_000);
const QUERIES = Number(process.env.BENCH_RAG_QUERIES ?? 200);
const WARMUP = 20;
const RECALL_QUERIES = 50;
const TOP_K = 10;
const WORDS_PER_CHUNK = 120;
const INSERT_BATCH = 1_000;

interface ModeResult {
  mode: string;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
}

interface BackendResult {
  backend: string;
  chunks: number;
  loadSeconds: number;
  indexBuildSeconds: number;
  recallAt10: number;
  modes: ModeResult[];
}

/** Returns a Mulberry32 generator, a small seeded PRNG, so that the corpus is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads the installed READMEs and returns their words, most frequent first. */
function vocabulary(): string[] {
  const store = fileURLToPath(new URL('../../node_modules/.pnpm', import.meta.url));
  const counts = new Map<string, number>();
  for (const entry of fs.readdirSync(store).sort()) {
    const modules = path.join(store, entry, 'node_modules');
    if (!fs.existsSync(modules)) continue;
    for (const name of fs.readdirSync(modules)) {
      const readme = path.join(modules, name, 'README.md');
      if (!fs.existsSync(readme)) continue;
      for (const word of fs.readFileSync(readme, 'utf8').toLowerCase().match(/[a-z]{3,15}/g) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([word]) => word);
}

/** Returns a sampler of word ranks with probability proportional to 1 / rank (Zipf, s = 1). */
function zipfSampler(size: number, next: () => number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let rank = 0; rank < size; rank += 1) {
    total += 1 / (rank + 1);
    cumulative[rank] = total;
  }
  return () => {
    const target = next() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function makeTexts(words: string[], count: number, length: number, seed: number): string[] {
  const next = random(seed);
  const sample = zipfSampler(words.length, next);
  return Array.from({ length: count }, () => Array.from({ length }, () => words[sample()]!).join(' '));
}

async function measure(label: string, db: Database, corpus: { texts: string[]; vectors: number[][] }, queries: { texts: string[]; vectors: number[][] }): Promise<BackendResult> {
  const store = new VectorStore({ db, logger: createLogger({ level: 'silent' }) });
  const namespace = { owner: '@bench', workspaceKey: '' };

  // Bulk load without the index and build it afterwards, because that is much faster than
  // inserting into a live HNSW graph.
  const collection: VectorCollection = await store.createCollection(namespace, 'chunks', { dimensions: LOCAL_DIMENSIONS, metric: 'cosine' });
  const indexName = `vector_items_hnsw_${collection.id.replace(/^vcol_/, '')}`;
  await db.exec(`drop index if exists ${indexName}`);

  const loadStarted = performance.now();
  for (let start = 0; start < corpus.texts.length; start += INSERT_BATCH) {
    const points = corpus.texts.slice(start, start + INSERT_BATCH).map((text, offset) => ({ id: `chunk-${start + offset}`, vector: corpus.vectors[start + offset]!, content: text, metadata: { documentId: `doc-${Math.floor((start + offset) / 20)}` } }));
    await store.upsert(collection, points);
    if ((start / INSERT_BATCH) % 10 === 0) process.stdout.write(`\r${label}: loaded ${start + points.length} chunks`);
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  process.stdout.write('\n');

  const buildStarted = performance.now();
  await db.exec(`set maintenance_work_mem = '1GB'`);
  await store.createCollection(namespace, 'chunks', { dimensions: LOCAL_DIMENSIONS, metric: 'cosine' });
  await db.exec('analyze vector_items');
  const indexBuildSeconds = (performance.now() - buildStarted) / 1000;
  console.log(`${label}: loaded in ${round(loadSeconds, 1)} s, HNSW index built in ${round(indexBuildSeconds, 1)} s`);

  // Recall of the approximate index against an exact scan of the same collection.
  let found = 0;
  for (let index = 0; index < RECALL_QUERIES; index += 1) {
    const approximate = new Set((await store.query(collection, { vector: queries.vectors[index]!, topK: TOP_K })).map((match) => match.id));
    const exact = await db.transaction(async (tx) => {
      await tx.exec('set local enable_indexscan = off');
      return tx.query<{ id: string }>(
        `select id from vector_items where collection_id = $1 order by (embedding::vector(${LOCAL_DIMENSIONS})) <=> $2::vector(${LOCAL_DIMENSIONS}) limit ${TOP_K}`,
        [collection.id, `[${queries.vectors[index]!.join(',')}]`],
      );
    });
    found += exact.filter((row) => approximate.has(row.id)).length;
  }
  const recallAt10 = found / (RECALL_QUERIES * TOP_K);

  const modes: ModeResult[] = [];
  for (const mode of ['similarity', 'mmr', 'hybrid'] as const) {
    const timings: number[] = [];
    for (let index = 0; index < WARMUP + QUERIES; index += 1) {
      const query = index % queries.texts.length;
      const started = performance.now();
      const matches = await store.query(collection, { vector: queries.vectors[query]!, topK: TOP_K, mode, text: queries.texts[query]! });
      const elapsed = performance.now() - started;
      if (matches.length === 0) throw new Error(`${label}: a ${mode} query returned no chunks`);
      if (index >= WARMUP) timings.push(elapsed);
    }
    modes.push({ mode, p50Ms: round(percentile(timings, 0.5)), p95Ms: round(percentile(timings, 0.95)), meanMs: round(timings.reduce((sum, value) => sum + value, 0) / timings.length) });
    console.log(`${label}: ${mode} p50 ${modes.at(-1)!.p50Ms} ms, p95 ${modes.at(-1)!.p95Ms} ms`);
  }
  return { backend: label, chunks: corpus.texts.length, loadSeconds: round(loadSeconds, 1), indexBuildSeconds: round(indexBuildSeconds, 1), recallAt10: round(recallAt10, 3), modes };
}

/** Reads the distinct README texts under node_modules/.pnpm, in a stable order. */
function readmes(): string[] {
  const store = fileURLToPath(new URL('../../node_modules/.pnpm', import.meta.url));
  const texts = new Set<string>();
  for (const entry of fs.readdirSync(store).sort()) {
    const modules = path.join(store, entry, 'node_modules');
    if (!fs.existsSync(modules)) continue;
    for (const name of fs.readdirSync(modules).sort()) {
      const readme = path.join(modules, name, 'README.md');
      if (fs.existsSync(readme)) texts.add(fs.readFileSync(readme, 'utf8'));
    }
  }
  return [...texts];
}

const realCorpus = process.env.BENCH_RAG_CORPUS === 'readmes';
let corpusTexts: string[];
let queryTexts: string[];
const embedStarted = performance.now();
if (realCorpus) {
  const documents = readmes();
  corpusTexts = documents.flatMap((text) => chunkText(text, { strategy: 'markdown', chunkSize: 800, chunkOverlap: 100 }).map((chunk) => chunk.text));
  const headings = [...new Set(documents.flatMap((text) => text.match(/^#{1,4} +[A-Za-z][^\n]*$/gm) ?? []).map((line) => line.replace(/^#+ +/, '').trim()).filter((line) => line.split(/\s+/).length >= 3))];
  const next = random(3);
  queryTexts = Array.from({ length: Math.max(QUERIES, RECALL_QUERIES) }, () => headings[Math.floor(next() * headings.length)]!);
  console.log(`corpus: ${documents.length} distinct READMEs, ${corpusTexts.length} chunks; queries: README headings`);
} else {
  const words = vocabulary().slice(0, 20_000);
  console.log(`vocabulary: ${words.length} words from the installed READMEs; embedding ${CHUNKS} chunks of ${WORDS_PER_CHUNK} words`);
  corpusTexts = makeTexts(words, CHUNKS, WORDS_PER_CHUNK, 1);
  queryTexts = makeTexts(words, Math.max(QUERIES, RECALL_QUERIES), 8, 2);
}
const corpus = { texts: corpusTexts, vectors: corpusTexts.map((text) => embedLocal(text)) };
const queries = { texts: queryTexts, vectors: queryTexts.map((text) => embedLocal(text)) };
const embedSeconds = (performance.now() - embedStarted) / 1000;
console.log(`embedded in ${round(embedSeconds, 1)} s (${round((embedSeconds * 1000) / corpusTexts.length, 3)} ms per chunk, local embedder, one thread)`);

const results: BackendResult[] = [];
const skipped: string[] = [];

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-bench-rag-'));
try {
  const db = await openDatabase({ dataDir });
  try {
    await migrate(db);
    results.push(await measure('PGlite (embedded)', db, corpus, queries));
  } finally {
    await db.close();
  }
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}

if (!process.env.DATABASE_URL) {
  skipped.push('PostgreSQL server: skipped, DATABASE_URL is not set');
} else {
  const url = await createServerDatabase();
  try {
    const db = await openDatabase({ databaseUrl: url, dataDir });
    try {
      await migrate(db);
      if (await db.hasVector()) results.push(await measure('PostgreSQL server', db, corpus, queries));
      else skipped.push('PostgreSQL server: skipped, the server at DATABASE_URL has no pgvector extension');
    } finally {
      await db.close();
    }
  } finally {
    await dropServerDatabase(url);
  }
}

const machine = describeMachine();
console.log(`\n${machine.cpus} × ${machine.cpuModel}, ${machine.memoryMiB} MiB, Node ${machine.node}; ${realCorpus ? 'README' : 'synthetic'} corpus, ${corpusTexts.length} chunks × ${LOCAL_DIMENSIONS} dimensions, topK ${TOP_K}, ${QUERIES} queries per mode\n`);
console.log('| back end | mode | p50 | p95 | mean | recall@10 (similarity) | load | index build |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const result of results) {
  for (const mode of result.modes) {
    console.log(`| ${result.backend} | ${mode.mode} | ${mode.p50Ms} ms | ${mode.p95Ms} ms | ${mode.meanMs} ms | ${result.recallAt10} | ${result.loadSeconds} s | ${result.indexBuildSeconds} s |`);
  }
}
for (const line of skipped) console.log(line);

const resultFile = process.env.BENCH_RESULT_FILE ?? fileURLToPath(new URL('../results/rag.json', import.meta.url));
fs.mkdirSync(path.dirname(resultFile), { recursive: true });
fs.writeFileSync(resultFile, JSON.stringify({ date: new Date().toISOString(), machine, corpus: realCorpus ? 'readmes' : 'synthetic', chunks: corpusTexts.length, dimensions: LOCAL_DIMENSIONS, topK: TOP_K, queries: QUERIES, embedSeconds: round(embedSeconds, 1), results, skipped }, null, 2));
