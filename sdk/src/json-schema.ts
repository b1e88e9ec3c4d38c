import { z } from 'zod';

import { manifestSchema } from './manifest.js';

/**
 * Generates the JSON Schema of `mify.extension.json` from the manifest's zod schema, as
 * written by `scripts/generate-schemas.mjs`. It describes the input form, so fields with
 * defaults are optional. Rules that JSON Schema cannot express (node types prefixed with the
 * extension id, unique names, valid semver) are checked only by `validateManifest`.
 *
 * @example
 * fs.writeFileSync('mify.extension.schema.json', JSON.stringify(generateManifestJsonSchema(), null, 2) + '\n');
 */
export function generateManifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
