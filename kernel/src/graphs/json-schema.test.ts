import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { generateGraphJsonSchema } from './json-schema.js';

const schemaFile = fileURLToPath(new URL('../../../sdk/schemas/mify.graph.schema.json', import.meta.url));

describe('graph JSON Schema', () => {
  it('matches the committed sdk/schemas/mify.graph.schema.json', () => {
    const committed = fs.readFileSync(schemaFile, 'utf8');

    // On failure, regenerate with: node kernel/scripts/generate-graph-schema.mjs
    expect(committed).toBe(`${JSON.stringify(generateGraphJsonSchema(), null, 2)}\n`);
  });

  it('accepts a graph and rejects a node without a type', () => {
    const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
    const fetch = { id: 'fetch', name: 'Fetch', type: 'acme.flow.http', typeVersion: 1 };

    expect(validate({ nodes: [fetch], edges: [] })).toBe(true);
    expect(validate({ nodes: [{ ...fetch, type: undefined }], edges: [] })).toBe(false);
  });
});
