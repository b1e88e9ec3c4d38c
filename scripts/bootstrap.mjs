// Brings a checkout to a runnable state with nothing but Node.js and npm:
// pnpm, dependencies, the generated Prisma client, and builds. Each step is
// skipped when its inputs have not changed since the last run.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchPrismaClient } from './prisma-client-patch.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '10.34.9';
const STAMP_DIR = path.join(ROOT, 'node_modules', '.mify-stamps');

function log(message) {
  process.stderr.write(`[mify] ${message}\n`);
}

/**
 * Runs a command and exits when it fails. With `quiet`, its output is shown only when it fails,
 * because the build tools print hundreds of lines that a user starting MIFY does not need.
 */
function run(command, args, { quiet = false, ...options } = {}) {
  const stdio = quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit';
  const result = spawnSync(command, args, { cwd: ROOT, stdio, maxBuffer: 64 * 1024 * 1024, ...options, env: { ...process.env, ...options.env } });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    log(`command failed (${result.status ?? result.signal}): ${command} ${args.join(' ')}`);
    process.exit(result.status ?? 1);
  }
}

function hashFiles(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file);
    if (fs.existsSync(file)) {
      const stat = fs.statSync(file);
      hash.update(stat.isDirectory() ? 'dir' : fs.readFileSync(file));
    }
  }
  return hash.digest('hex');
}

/** Lists files under `dir` (recursively), skipping build output and dependencies. */
function listFiles(dir, filter = () => true) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'build', '.svelte-kit', 'generated'].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, filter));
    else if (filter(full)) out.push(full);
  }
  return out.sort();
}

/**
 * Runs `action` unless the stamp named `name` contains `hash` and every file in
 * `outputs` exists; records the hash afterwards.
 */
function step(name, hash, action, outputs = []) {
  const stampPath = path.join(STAMP_DIR, name);
  const built = outputs.every((file) => fs.existsSync(file));
  if (built && fs.existsSync(stampPath) && fs.readFileSync(stampPath, 'utf8') === hash) return false;
  action();
  fs.mkdirSync(STAMP_DIR, { recursive: true });
  fs.writeFileSync(stampPath, hash);
  return true;
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    log(`Node.js ${process.versions.node} is too old; MIFY needs Node.js 20.19 or newer.`);
    process.exit(1);
  }
}

/** Returns a command that runs pnpm 10.34.9, installing it under .mify-tools when needed. */
function findPnpm() {
  const global = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (global.status === 0 && global.stdout.trim() === PNPM_VERSION) return 'pnpm';

  const local = path.join(ROOT, '.mify-tools', 'node_modules', '.bin', 'pnpm');
  if (!fs.existsSync(local)) {
    log(`installing pnpm ${PNPM_VERSION} into .mify-tools/`);
    run('npm', ['install', '--prefix', path.join(ROOT, '.mify-tools'), '--no-audit', '--no-fund', '--loglevel=error', `pnpm@${PNPM_VERSION}`]);
  }
  return local;
}

/** Built entry files of the bundled extensions that have a build script. */
function extensionEntries() {
  const dir = path.join(ROOT, 'extensions');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((name) => {
    const folder = path.join(dir, name);
    const pkg = path.join(folder, 'package.json');
    const manifest = path.join(folder, 'mify.extension.json');
    if (!fs.existsSync(pkg) || !fs.existsSync(manifest) || !JSON.parse(fs.readFileSync(pkg, 'utf8')).scripts?.build) return [];
    return [path.join(folder, JSON.parse(fs.readFileSync(manifest, 'utf8')).entry)];
  });
}

export function bootstrap({ buildWeb = true } = {}) {
  checkNode();
  const pnpm = findPnpm();
  const manifests = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc'].map((f) => path.join(ROOT, f));

  const installHash = hashFiles([...manifests, ...listFiles(ROOT, (f) => f.endsWith('package.json') && !f.includes('.mify-tools'))]);
  if (!fs.existsSync(path.join(ROOT, 'node_modules', '.modules.yaml'))) fs.rmSync(STAMP_DIR, { recursive: true, force: true });
  step('install', installHash, () => {
    log('installing dependencies (the first time compiles isolated-vm, about a minute)');
    run(pnpm, ['install', '--frozen-lockfile', '--config.confirmModulesPurge=false']);
  });

  // pnpm compiles the kernel's native addon when it installs it; this step compiles it again
  // when its sources change afterwards.
  const nativeDir = path.join(ROOT, 'kernel', 'native');
  const nativeSources = [...listFiles(path.join(nativeDir, 'src')), path.join(nativeDir, 'binding.gyp')];
  step('native', hashFiles(nativeSources), () => {
    const addon = path.join(nativeDir, 'build', 'Release', 'mify_native.node');
    const addonTime = fs.existsSync(addon) ? fs.statSync(addon).mtimeMs : 0;
    if (nativeSources.every((file) => fs.statSync(file).mtimeMs < addonTime)) return;
    log('compiling the kernel\'s native addon');
    run(pnpm, ['--filter', '@mify/native', 'run', 'install']);
  });

  const schema = path.join(ROOT, 'prisma', 'schema.prisma');
  const generated = path.join(ROOT, 'kernel', 'src', 'generated', 'prisma', 'client.ts');
  step('prisma', hashFiles([schema, path.join(ROOT, 'scripts', 'prisma-client-patch.mjs')]), () => {
    log('generating the Prisma client');
    // prisma generate needs no schema engine, but the CLI looks for one; any existing file satisfies the check.
    run(pnpm, ['--filter', '@mify/kernel', 'exec', 'prisma', 'generate', '--schema', schema], { env: { PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    patchPrismaClient(path.dirname(generated));
  }, [generated]);

  log('building the kernel, SDK and registry');
  run(pnpm, ['exec', 'tsc', '-b', 'sdk', 'kernel', 'registry']);

  const extensionSources = listFiles(path.join(ROOT, 'extensions'));
  step('extensions', hashFiles(extensionSources), () => {
    log('building extensions');
    run(pnpm, ['-r', '--filter', './extensions/*', '--if-present', 'run', 'build'], { quiet: true });
  }, extensionEntries());

  if (buildWeb && fs.existsSync(path.join(ROOT, 'web', 'package.json'))) {
    const webSources = listFiles(path.join(ROOT, 'web'));
    const handler = path.join(ROOT, 'web', 'build', 'handler.js');
    step('web', hashFiles(webSources), () => {
      log('building the studio');
      run(pnpm, ['--filter', '@mify/web', 'run', 'build'], { quiet: true });
    }, [handler]);
  }
  return { pnpm };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  bootstrap();
  log('build complete');
}
