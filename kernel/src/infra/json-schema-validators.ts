// Creates ajv instances on first use. Importing ajv took about 50 ms in a fresh process, and every
// start paid it, though nothing validates a JSON Schema before the first request. ajv is
// CommonJS, so a synchronous require loads it when a validator is first needed.
import { createRequire } from 'node:module';
import type { Ajv, Options } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';

const require = createRequire(import.meta.url);

/** Options of every validator the kernel creates: strict: false, because manifests may carry annotations ajv does not know. */
const KERNEL_OPTIONS: Options = { allErrors: true, strict: false };

/** Returns a new draft 2020-12 validator with every error reported, optionally with ajv-formats. */
export function createDraft2020Validator(options: { formats?: boolean } = {}): Ajv2020 {
  const { Ajv2020: Draft2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Draft2020(KERNEL_OPTIONS);
  if (options.formats) addFormats(ajv);
  return ajv;
}

/** Returns a new draft-07 validator with every error reported, optionally with ajv-formats. */
export function createDraft07Validator(options: { formats?: boolean } = {}): Ajv {
  const { Ajv: Draft07 } = require('ajv') as typeof import('ajv');
  const ajv = new Draft07(KERNEL_OPTIONS);
  if (options.formats) addFormats(ajv);
  return ajv;
}

/**
 * Returns a function that creates its value on the first call and returns the same value after.
 */
export function lazily<T>(create: () => T): () => T {
  let value: T | undefined;
  let created = false;
  return () => {
    if (!created) {
      value = create();
      created = true;
    }
    return value as T;
  };
}

function addFormats(ajv: Ajv | Ajv2020): void {
  // ajv-formats is CommonJS: `module.exports` carries the plugin as `.default`.
  const plugin = (require('ajv-formats') as { default: (instance: Ajv | Ajv2020) => unknown }).default;
  plugin(ajv);
}
