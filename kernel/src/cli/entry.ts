// The V8 flags come first, so they apply to every WebAssembly module the CLI instantiates.
import './v8-flags.js';
import { openDatabaseForStart } from './early-database.js';

const argv = process.argv.slice(2);
// Started before the import of the rest of the kernel, which it overlaps.
const startDatabase = openDatabaseForStart(argv, process.env);
const { runCli } = await import('./main.js');

const code = await runCli(argv, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  startDatabase,
});
if (code !== 'running') {
  // A start that failed before its kernel took the database over left it open. Closing it twice is harmless.
  await startDatabase?.then((db) => db.close()).catch(() => {});
  process.exit(code);
}
