#!/usr/bin/env node
// Launches the `mify` CLI. isolated-vm needs Node's --no-node-snapshot flag, so
// when it is missing the CLI re-executes itself with the flag.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli/entry.js', import.meta.url));

if (!existsSync(entry)) {
  console.error('The kernel is not built. Run `npm start` or `npm run build` from the repository root first.');
  process.exit(1);
}

if (process.execArgv.includes('--no-node-snapshot')) {
  await import(entry);
} else {
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
