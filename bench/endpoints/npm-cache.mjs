// Installs the comparison servers (n8n, Node-RED) from npm into bench/endpoints/.cache on
// first use. The cache folder is ignored by git; delete it to reinstall.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const CACHE_DIR = fileURLToPath(new URL('./.cache/', import.meta.url));
/** npm's own time limit for one install, in milliseconds; n8n has about 2,000 dependencies. */
const INSTALL_TIMEOUT_MS = 30 * 60_000;

/**
 * Returns `{ prefix, packageDir, version }` of `name@range` installed under the cache, running
 * `npm install --prefix <cache>/<folder> name@range` first when the package is missing or its
 * version does not match `range`'s major.minor. Throws with npm's output when the install fails.
 */
export async function ensureInstalled({ name, range, folder }) {
  const prefix = path.join(CACHE_DIR, folder);
  const packageDir = path.join(prefix, 'node_modules', name);
  const installed = await installedVersion(packageDir);
  if (installed && matchesRange(installed, range)) return { prefix, packageDir, version: installed };

  await mkdir(prefix, { recursive: true });
  console.log(`Installing ${name}@${range} into ${path.relative(process.cwd(), prefix) || prefix} (first run only; n8n takes several minutes) ...`);
  const startedAt = performance.now();
  try {
    await execFileAsync('npm', ['install', '--prefix', prefix, `${name}@${range}`, '--no-audit', '--no-fund', '--loglevel=error'], { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`\`npm install --prefix ${prefix} ${name}@${range}\` failed (exit code ${error.code}): ${(error.stderr || error.message).slice(-4000)}`);
  }

  const version = await installedVersion(packageDir);
  if (!version) throw new Error(`npm installed ${name}@${range}, but ${packageDir}/package.json is missing.`);
  console.log(`  installed ${name} ${version} in ${Math.round((performance.now() - startedAt) / 1000)} s`);
  return { prefix, packageDir, version };
}

async function installedVersion(packageDir) {
  const manifest = path.join(packageDir, 'package.json');
  if (!existsSync(manifest)) return null;
  return JSON.parse(await readFile(manifest, 'utf8')).version ?? null;
}

/** Returns whether `version` (x.y.z) starts with `range`, a major.minor prefix such as 1.123. */
function matchesRange(version, range) {
  return version === range || version.startsWith(`${range}.`);
}
