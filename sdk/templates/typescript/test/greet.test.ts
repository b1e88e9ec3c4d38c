/**
 * Runs the extension's nodes in the sandbox the kernel uses in production.
 * `mify-plugin test` bundles this file and runs it with Node's test runner.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createTestHarness, type TestHarness } from '@mify/sdk/testing';

let harness: TestHarness;

// `mify-plugin test` runs a bundled copy of this file and passes the extension folder in MIFY_EXTENSION_DIR.
const folder = process.env.MIFY_EXTENSION_DIR ?? fileURLToPath(new URL('..', import.meta.url));

before(async () => {
  harness = await createTestHarness({ folder });
});

after(async () => {
  await harness?.close();
});

test('greet adds a greeting per item', async () => {
  const out = await harness.runNode('{{id}}.greet', { items: [{ json: { name: 'Ada' } }], parameters: { greeting: 'Hi' } });

  assert.equal(out.main?.[0]?.json.greeting, 'Hi, Ada!');
});
