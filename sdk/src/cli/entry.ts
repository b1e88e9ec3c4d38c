import { runPluginCli } from './main.js';

const code = await runPluginCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
});
if (code !== 'running') process.exitCode = code;
