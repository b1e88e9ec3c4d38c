// Writes sdk/schemas/mify.graph.schema.json from the kernel's zod graph schema.
// Run from the repository root: node kernel/scripts/generate-graph-schema.mjs
// It loads the TypeScript source through tsx, so no build is needed first.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const kernelDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const target = path.join(kernelDir, '..', 'sdk', 'schemas', 'mify.graph.schema.json');

const { generateGraphJsonSchema } = await tsImport('../src/graphs/json-schema.ts', import.meta.url);

fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, `${JSON.stringify(generateGraphJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), target)}`);
