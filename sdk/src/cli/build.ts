import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ExtensionManifest } from '../manifest.js';
import { packExtension } from '../package.js';
import { PluginCliError } from './io.js';
import { readManifestFile } from './manifest-file.js';
import { findPackageDir, requirePackageDir, runProgram } from './toolchain.js';
import { validateExtension, type Finding } from './validate.js';
import { setMemoryMaximum } from './wasm-memory.js';

/** Folder inside an extension where build output other than the entry goes (packages, test bundles). */
export const WORK_DIR = '.mify';
/** Memory limit the kernel applies when the manifest sets none, in MiB (DEFAULT_MEMORY_LIMIT_MB in the kernel). */
const DEFAULT_MEMORY_LIMIT_MB = 128;
const KERNEL_WASM_MEMORY_CAP_MB = 256;

/** The part of esbuild's JavaScript API the build uses; esbuild comes from the extension's dev dependencies. */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<{ warnings: Array<{ text: string }> }>;
}

export interface BuildResult {
  manifest: ExtensionManifest;
  /** The package file, `.mify/<id>-<version>.tgz`. */
  packageFile: string;
  findings: Finding[];
}

/** Maximum WebAssembly pages for the manifest's memory limit. */
export function maximumPages(manifest: ExtensionManifest): number {
  return Math.min(manifest.limits?.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB, KERNEL_WASM_MEMORY_CAP_MB) * 16;
}

/** Finds the source entry: the first of the candidates that exists. */
function sourceEntry(folder: string, candidates: string[]): string {
  const found = candidates.find((candidate) => fs.existsSync(path.join(folder, candidate)));
  if (!found) throw new PluginCliError(`No source entry found in ${folder}; expected one of ${candidates.join(', ')}.`);
  return found;
}

async function bundleIsolate(folder: string, manifest: ExtensionManifest): Promise<void> {
  const esbuildDir = requirePackageDir(folder, 'esbuild', '0.28.2', 'Bundling for the isolate');
  const esbuild = createRequire(import.meta.url)(path.join(esbuildDir, 'lib', 'main.js')) as EsbuildApi;
  const entry = sourceEntry(folder, ['src/index.ts', 'src/index.js', 'src/index.mjs']);
  const result = await esbuild.build({
    absWorkingDir: folder,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    outfile: manifest.entry,
    logLevel: 'silent',
  }).catch((error: { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }) => {
    const messages = (error.errors ?? []).map((e) => (e.location ? `  ${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : `  ${e.text}`));
    throw new PluginCliError(`Bundling ${entry} failed:\n${messages.join('\n') || String(error)}`);
  });
  if (result.warnings.length > 0) throw new PluginCliError(`Bundling ${entry} produced warnings; fix them:\n${result.warnings.map((w) => `  ${w.text}`).join('\n')}`);
}

async function compileAssemblyScript(folder: string, manifest: ExtensionManifest, log: (line: string) => void): Promise<void> {
  const ascDir = requirePackageDir(folder, 'assemblyscript', '0.28.20', 'Compiling AssemblyScript');
  requirePackageDir(folder, '@extism/as-pdk', '1.0.0', 'Compiling an Extism plugin');
  const entry = sourceEntry(folder, ['src/index.ts']);
  const abortModule = entry.replace(/\.ts$/, '');
  const args = [path.join(ascDir, 'bin', 'asc.js'), entry, '--outFile', manifest.entry, '--optimize', '--runtime', 'incremental', '--maximumMemory', String(maximumPages(manifest)), '--use', `abort=${abortModule}/abortPlugin`];
  // json-as rewrites @json classes at compile time, so its transform runs when the extension uses it. Its own sources
  // raise warning AS201 (usize to u32 conversions), which the author cannot fix, so that warning is hidden.
  if (findPackageDir(folder, 'json-as')) args.push('--transform', 'json-as', '--disableWarning', '201');
  fs.mkdirSync(path.dirname(path.join(folder, manifest.entry)), { recursive: true });
  await runProgram(process.execPath, args, { cwd: folder, log, what: 'Compiling AssemblyScript' });
}

/**
 * Compiles a Go extension to a WASI reactor module. Go's linker declares no memory
 * maximum, which the kernel requires, so the build writes one into the module's memory
 * section afterwards: limits.memoryLimitMb in 64 KiB pages.
 */
async function compileGo(folder: string, manifest: ExtensionManifest, log: (line: string) => void, env: Record<string, string | undefined>): Promise<void> {
  const output = path.join(folder, manifest.entry);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const go = env.MIFY_GO || 'go';
  // A fresh template has no go.sum; `go mod tidy` fetches the Go PDK through the module proxy and writes it.
  if (!fs.existsSync(path.join(folder, 'go.sum'))) await runProgram(go, ['mod', 'tidy'], { cwd: folder, log, what: 'Fetching the Go modules' });
  await runProgram(go, ['build', '-buildmode=c-shared', '-o', output, '.'], { cwd: folder, env: { GOOS: 'wasip1', GOARCH: 'wasm' }, log, what: 'Compiling Go to WebAssembly' });
  try {
    fs.writeFileSync(output, setMemoryMaximum(fs.readFileSync(output), maximumPages(manifest)));
  } catch (error) {
    throw new PluginCliError(`Setting the memory maximum of ${manifest.entry} failed: ${(error as Error).message}. Raise limits.memoryLimitMb in mify.extension.json.`);
  }
}

/**
 * Compiles an extension's entry: bundles `src/index.ts` with esbuild for the isolate,
 * or compiles it to WebAssembly (AssemblyScript, or Go when the folder has go.mod).
 */
export async function compileExtension(folder: string, options: { log: (line: string) => void; env: Record<string, string | undefined> }): Promise<ExtensionManifest> {
  const manifest = readManifestFile(folder);
  if (manifest.runtime === 'isolate') await bundleIsolate(folder, manifest);
  else if (fs.existsSync(path.join(folder, 'go.mod'))) await compileGo(folder, manifest, options.log, options.env);
  else await compileAssemblyScript(folder, manifest, options.log);
  return manifest;
}

/**
 * Builds an extension: compiles its entry (see {@link compileExtension}), validates the
 * result and packs it with checksums into `.mify/<id>-<version>.tgz`.
 *
 * @example
 * const { packageFile } = await buildExtension('.', { log: console.log, env: process.env });
 */
export async function buildExtension(folder: string, options: { log: (line: string) => void; env: Record<string, string | undefined> }): Promise<BuildResult> {
  const manifest = await compileExtension(folder, options);

  const findings = validateExtension(folder, { built: true });
  const errors = findings.filter((f) => f.level === 'error');
  if (errors.length > 0) throw new PluginCliError(`The build of ${manifest.id} is not valid:\n${errors.map((f) => `  - ${f.where}: ${f.message}`).join('\n')}`);

  const packageFile = path.join(folder, WORK_DIR, `${manifest.id}-${manifest.version}.tgz`);
  fs.mkdirSync(path.dirname(packageFile), { recursive: true });
  await packExtension(folder, packageFile);
  return { manifest, packageFile, findings };
}
