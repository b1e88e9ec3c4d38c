// Writes schemas/mify.extension.schema.json from the compiled SDK. Run after `tsc -b`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateManifestJsonSchema } from '../dist/json-schema.js';

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const target = path.join(packageDir, 'schemas', 'mify.extension.schema.json');

fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, `${JSON.stringify(generateManifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), target)}`);
