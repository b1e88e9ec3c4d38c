import fs from 'node:fs';
import path from 'node:path';
import { validateManifest } from '../validate-manifest.js';
import type { ExtensionManifest } from '../manifest.js';
import type { ManifestProblem } from '../json-path.js';
import { PluginCliError } from './io.js';

export const MANIFEST_FILE = 'mify.extension.json';

/** Reads and validates the manifest of an extension folder, raising one error that lists every problem. */
export function readManifestFile(folder: string): ExtensionManifest {
  const result = checkManifestFile(folder);
  if (!result.ok) throw new PluginCliError(`${path.join(folder, MANIFEST_FILE)} is invalid:\n${result.errors.map((e) => `  - ${e.path}: ${e.message}`).join('\n')}`);
  return result.manifest;
}

/** Reads and validates the manifest of an extension folder and returns the problems instead of raising them. */
export function checkManifestFile(folder: string): { ok: true; manifest: ExtensionManifest } | { ok: false; errors: ManifestProblem[] } {
  const file = path.join(folder, MANIFEST_FILE);
  if (!fs.existsSync(file)) throw new PluginCliError(`${folder} has no ${MANIFEST_FILE}. Run the command in an extension folder, pass --dir, or create one with \`mify-plugin init\`.`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    return { ok: false, errors: [{ path: '$', message: `not valid JSON: ${(error as Error).message}` }] };
  }
  return validateManifest(raw);
}
