import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

import { generateManifestJsonSchema } from './json-schema.js';
import { fullIsolateManifest, minimalManifest, wasmManifest } from './test-fixtures/manifests.js';

const schemaFile = fileURLToPath(new URL('../schemas/mify.extension.schema.json', import.meta.url));
const committed = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;

function compile() {
  // The schema marks homepage with "format": "uri"; formats need the ajv-formats plugin,
  // which these tests do not use, so they are ignored here.
  const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
  return ajv.compile(committed);
}

describe('manifest JSON Schema', () => {
  it('matches a fresh generation', () => {
    expect(committed).toEqual(generateManifestJsonSchema());
  });

  it('is byte-identical to the generator output', () => {
    expect(fs.readFileSync(schemaFile, 'utf8')).toBe(`${JSON.stringify(generateManifestJsonSchema(), null, 2)}\n`);
  });

  it('requires the keys every manifest needs', () => {
    expect(committed.required).toEqual(['id', 'version', 'name', 'description', 'engines', 'runtime', 'entry']);
  });

  it('forbids unknown top-level keys', () => {
    expect(committed.additionalProperties).toBe(false);
  });

  it('compiles in strict mode', () => {
    expect(() => compile()).not.toThrow();
  });

  for (const [name, sample] of [['full isolate', fullIsolateManifest], ['wasm', wasmManifest], ['minimal', minimalManifest]] as const) {
    it(`accepts the ${name} sample`, () => {
      const validate = compile();
      expect(validate(sample()), JSON.stringify(validate.errors)).toBe(true);
    });
  }

  it('rejects a manifest without runtime', () => {
    const sample = wasmManifest();
    delete sample.runtime;
    const validate = compile();

    expect(validate(sample)).toBe(false);
    expect(validate.errors?.some((error) => error.keyword === 'required' && error.params.missingProperty === 'runtime')).toBe(true);
  });

  it('rejects an unknown permission', () => {
    const validate = compile();
    expect(validate({ ...wasmManifest(), permissions: ['kv:admin'] })).toBe(false);
  });

  it('rejects an upper-case id', () => {
    const validate = compile();
    expect(validate({ ...wasmManifest(), id: 'Mify.Sample' })).toBe(false);
  });
});
