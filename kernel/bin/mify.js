#!/bin/sh
':' //; exec node --no-node-snapshot "$0" "$@"
// Launches the `mify` CLI. isolated-vm needs Node's --no-node-snapshot flag.
//
// Run as a program (by npx, npm scripts or the shell), the line above is a shell command that
// replaces the shell with Node and the flag, so no second process stays behind. Node reads the
// same line as a string and a comment. Run as `node bin/mify.js`, the flag is missing, and the
// CLI re-executes itself with the flag in a child process that this one waits for.
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
