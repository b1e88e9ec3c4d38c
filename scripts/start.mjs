// `npm start`: set up what is missing, then run `mify start` on the embedded
// database (or DATABASE_URL). Extra arguments go to `mify start`, e.g.
// `npm start -- --port 8080`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { bootstrap, ROOT } from './bootstrap.mjs';

bootstrap();

const entry = path.join(ROOT, 'kernel', 'dist', 'cli', 'entry.js');
const child = spawn(process.execPath, ['--no-node-snapshot', entry, 'start', ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 0 : (code ?? 1)));

// npm does not pass SIGTERM on to this script's shell. When npm exits, this process
// is re-parented, so the server is stopped then instead of being left running.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) child.kill('SIGTERM');
}, 1_000).unref();
