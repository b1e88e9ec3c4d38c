import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTENSION_ID_PATTERN } from '../manifest.js';
import { PluginCliError } from './io.js';

/** `sdk/templates`; the same path from `src/cli` and `dist/cli`. */
export const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');

export const TEMPLATES = {
  typescript: 'TypeScript extension for the isolate sandbox, with one node and a test',
  assemblyscript: 'AssemblyScript extension compiled to an Extism WASM plugin, with one node and a test',
  go: 'Go extension compiled to an Extism WASM plugin with the Go PDK (needs Go 1.24 or newer), with one node and a test',
} as const;

export type TemplateName = keyof typeof TEMPLATES;

/** Files stored under another name, because the name would change how the SDK itself is packed or ignored. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'extension';
}

/**
 * Creates an extension folder from a template, replacing `{{id}}`, `{{name}}`,
 * `{{description}}`, `{{packageName}}` and `{{goModule}}` in every file. The folder
 * must not exist or be empty.
 *
 * @example
 * initExtension({ folder: 'hello', template: 'typescript', id: 'acme.hello' });
 */
export function initExtension(options: { folder: string; template: string; id?: string | undefined; name?: string | undefined }): { folder: string; id: string; files: string[] } {
  if (!(options.template in TEMPLATES)) {
    throw new PluginCliError(`Template '${options.template}' does not exist; choose one of: ${Object.keys(TEMPLATES).join(', ')}.`);
  }
  const folder = path.resolve(options.folder);
  if (fs.existsSync(folder) && fs.readdirSync(folder).length > 0) throw new PluginCliError(`${folder} is not empty; choose a new folder name.`);

  const base = slug(path.basename(folder));
  const id = options.id ?? `local.${base}`;
  if (!EXTENSION_ID_PATTERN.test(id)) {
    throw new PluginCliError(`Extension id ${JSON.stringify(id)} is invalid: expected 2 to 6 lower-case dot-separated segments such as acme.${base}. Pass --id.`);
  }
  const name = options.name ?? base.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ');
  const values: Record<string, string> = {
    id,
    name,
    description: `${name}: a MIFY extension.`,
    packageName: `mify-ext-${id.replace(/\./g, '-')}`,
    goModule: `example.com/${id.replace(/\./g, '/')}`,
  };

  const source = path.join(TEMPLATES_DIR, options.template);
  const files = copyTemplate(source, folder, values);
  return { folder, id, files };
}

function copyTemplate(source: string, target: string, values: Record<string, string>, relative = ''): string[] {
  const written: string[] = [];
  fs.mkdirSync(path.join(target, relative), { recursive: true });
  for (const entry of fs.readdirSync(path.join(source, relative), { withFileTypes: true })) {
    const from = path.join(relative, entry.name);
    if (entry.isDirectory()) {
      written.push(...copyTemplate(source, target, values, from));
      continue;
    }
    const to = path.join(relative, RENAMED[entry.name] ?? entry.name);
    const text = fs.readFileSync(path.join(source, from), 'utf8').replace(/\{\{(\w+)\}\}/g, (match, key: string) => values[key] ?? match);
    fs.writeFileSync(path.join(target, to), text);
    written.push(to.split(path.sep).join('/'));
  }
  return written;
}
