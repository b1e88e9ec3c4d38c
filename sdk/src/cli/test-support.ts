import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Install folders of the templates' dev dependencies in this checkout. */
const SOURCES: Record<string, string> = {
  '@mify/sdk': path.join(ROOT, 'sdk'),
  '@mify/kernel': path.join(ROOT, 'kernel'),
  esbuild: path.join(ROOT, 'extensions', 'io', 'node_modules', 'esbuild'),
  assemblyscript: path.join(ROOT, 'extensions', 'sample-wasm', 'node_modules', 'assemblyscript'),
  '@extism/as-pdk': path.join(ROOT, 'extensions', 'sample-wasm', 'node_modules', '@extism', 'as-pdk'),
  'json-as': path.join(ROOT, 'extensions', 'sample-wasm', 'node_modules', 'json-as'),
  'xjb-as': path.join(ROOT, 'extensions', 'sample-wasm', 'node_modules', 'xjb-as'),
};

/** Does what `npm install` would for a template in a test: links its dev dependencies from this checkout. */
export function linkDevDependencies(folder: string, names: string[]): void {
  for (const name of names) {
    const source = SOURCES[name];
    if (!source || !fs.existsSync(source)) throw new Error(`dev dependency ${name} is not installed in this checkout (${source ?? 'unknown'})`);
    const target = path.join(folder, 'node_modules', name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(fs.realpathSync(source), target);
  }
}
