import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOGGER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/logger.js');

/** Logs `lines` lines to stdout, then exits with status 3, as a kernel does after a shutdown. */
const CHILD = `
const { createLogger } = await import(process.argv[1]);
const logger = createLogger();
await new Promise((resolve) => setTimeout(resolve, 300));
for (let index = 0; index < 2000; index++) logger.info({ index }, 'line after the reader left');
process.exit(3);
`;

describe('createLogger', () => {
  // The child imports the built logger, which `npm test` builds first.
  it.skipIf(!fs.existsSync(LOGGER))('exits when stdout has no reader', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, LOGGER], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader of the child's stdout ends before the child logs, as tee does on Ctrl-C.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));

    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15_000);
      child.on('exit', (status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });

    expect(stderr).toBe('');
    expect(code).toBe(3);
  });
});
