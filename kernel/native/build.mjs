// Compiles the addon with node-gyp when the package is installed. The kernel runs without it,
// only with a larger idle memory, so a machine without a C compiler gets a warning, not a
// failed install.
import { spawnSync } from 'node:child_process';

const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

if (result.status !== 0) {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.warn(
    `@mify/native: could not compile the addon (${result.error?.message ?? `node-gyp exited with ${result.status}`}).\n` +
      `${output}\n` +
      'The kernel works without it, but does not return freed allocator memory to the system. ' +
      'Install a C compiler, make and Python 3, then run `pnpm rebuild @mify/native`.',
  );
}
