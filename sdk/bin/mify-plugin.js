#!/usr/bin/env node
// Launches the `mify-plugin` CLI from the compiled SDK.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli/entry.js', import.meta.url));

if (!existsSync(entry)) {
  console.error('The SDK is not built. Run `npm run build` from the repository root (or `pnpm --filter @mify/sdk build`) first.');
  process.exit(1);
}

await import(entry);
