// Probe: open time and resident memory of PGlite, the kernel's embedded
// database, for several shared_buffers sizes. Each size opens a migrated data
// directory in a fresh process and reads VmRSS after the first query.
//
// Run: node bench/probes/pglite-shared-buffers.mjs
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT, assertKernelBuilt, prepareDataDir, removeDataDir } from '../lib/kernel.mjs';
import { markdownTable, round } from '../lib/stats.mjs';

/** shared_buffers sizes to compare, in MiB. null keeps PGlite's default of 128 MB. */
const SIZES_MIB = [null, 64, 32, 16, 8];

if (process.argv[2] === '--open') {
  await openOnce(process.argv[3], process.argv[4] === 'default' ? null : Number(process.argv[4]));
} else {
  await compare();
}

async function compare() {
  assertKernelBuilt();
  const { dataDir } = await prepareDataDir({ withApiKey: false });
  const rows = [];
  try {
    for (const size of SIZES_MIB) {
      const output = execFileSync(process.execPath, ['--no-node-snapshot', fileURLToPath(import.meta.url), '--open', dataDir, size === null ? 'default' : String(size)], { encoding: 'utf8' });
      const result = JSON.parse(output);
      rows.push([result.sharedBuffers, round(result.openMs, 0), round(result.rssMiB, 0)]);
    }
  } finally {
    await removeDataDir(dataDir);
  }
  console.log(markdownTable(['shared_buffers', 'open ms', 'RSS after first query, MiB'], rows));
}

async function openOnce(dataDir, sizeMiB) {
  // Resolve PGlite as the kernel does, from the kernel package.
  const requireFromKernel = createRequire(path.join(REPO_ROOT, 'kernel/package.json'));
  const { PGlite } = await import(pathToFileURL(requireFromKernel.resolve('@electric-sql/pglite')).href);
  const { vector } = await import(pathToFileURL(requireFromKernel.resolve('@electric-sql/pglite-pgvector')).href);

  const options = { extensions: { vector } };
  // startParams applies to this open only. PGlite 0.5.14's postgresqlconf option overwrote postgresql.conf in the data directory in a trial.
  if (sizeMiB !== null) options.startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${sizeMiB}MB`];

  const started = performance.now();
  const db = await PGlite.create(path.join(dataDir, 'pgdata'), options);
  const openMs = performance.now() - started;
  await db.query('select 1');
  const sharedBuffers = (await db.query('show shared_buffers')).rows[0].shared_buffers;
  const rssMiB = process.memoryUsage().rss / 1024 / 1024;
  await db.close();
  process.stdout.write(JSON.stringify({ sharedBuffers, openMs, rssMiB }));
}
