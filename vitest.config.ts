import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One test run covers every package. Tests run in forked processes because
// isolated-vm needs Node's --no-node-snapshot flag.
export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources, so the harness needs no kernel build.
    alias: { '@mify/kernel/testing': fileURLToPath(new URL('./kernel/src/testing/index.ts', import.meta.url)) },
  },
  test: {
    include: [
      'kernel/src/**/*.test.ts',
      'sdk/src/**/*.test.ts',
      'registry/src/**/*.test.ts',
      'extensions/*/src/**/*.test.ts',
      'extensions/*/test/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', 'tests/e2e/**'],
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
