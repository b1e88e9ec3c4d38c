import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PluginCliError } from './io.js';

/**
 * Finds an installed package the way Node resolves one: `node_modules/<name>` in the
 * folder or any folder above it. Returns its folder or null.
 */
export function findPackageDir(from: string, name: string): string | null {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Like {@link findPackageDir}, but raises an error that names the missing dev dependency. */
export function requirePackageDir(from: string, name: string, version: string, why: string): string {
  const dir = findPackageDir(from, name);
  if (!dir) throw new PluginCliError(`${why} needs ${name}, which is not installed in ${from}. Add it as a dev dependency ("${name}": "${version}") and run npm install.`);
  return dir;
}

/** Runs a program, streaming its output lines to `log`; raises when it exits with an error. */
export async function runProgram(command: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined>; log: (line: string) => void; what: string }): Promise<void> {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') options.log(line);
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);

  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new PluginCliError(`${options.what} needs \`${command}\`, which is not on PATH.`) : error));
    child.on('close', resolve);
  });
  if (code !== 0) throw new PluginCliError(`${options.what} failed (${command} exited with ${code}); see the output above.`);
}
