/**
 * Runs the plugin in the kernel's WASM sandbox (Extism). `mify-plugin test` builds the
 * plugin, bundles this file and runs it with Node's test runner.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createTestHarness, type TestHarness } from '@mify/sdk/testing';

// `mify-plugin test` passes the extension folder in MIFY_EXTENSION_DIR.
const folder = process.env.MIFY_EXTENSION_DIR ?? fileURLToPath(new URL('..', import.meta.url));
let harness: TestHarness;

before(async () => {
  harness = await createTestHarness({ folder });
});

after(async () => {
  await harness?.close();
});

test('measure adds the text length', async () => {
  const out = await harness.runNode('{{id}}.measure', { items: [{ json: { text: 'hello' } }], parameters: { field: 'text' } });

  assert.equal(out.main?.[0]?.json.length, 5);
});

test('measure fails on a missing field', async () => {
  await assert.rejects(harness.runNode('{{id}}.measure', { items: [{ json: {} }], parameters: { field: 'text' } }), /field 'text' is missing/);
});
