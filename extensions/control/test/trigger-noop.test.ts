import { createTestHarness, type TestHarness } from '@mify/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension, EXTENSION_FOLDER } from './build.js';

let harness: TestHarness;

beforeAll(async () => {
  await buildExtension();
  harness = await createTestHarness({ folder: EXTENSION_FOLDER });
});

afterAll(async () => {
  await harness?.close();
});

describe('manual-trigger and no-op', () => {
  const items = [{ json: { id: 1 } }, { json: { id: 2 }, binary: { file: { mimeType: 'text/plain', data: 'aGk=' } } }];

  it('manual trigger passes the run input on', async () => {
    const out = await harness.runNode('mify.control.manual-trigger', { items, parameters: {} });
    expect(out.main).toEqual(items);
  });

  it('no-op passes its items on', async () => {
    const out = await harness.runNode('mify.control.no-op', { items, parameters: {} });
    expect(out.main).toEqual(items);
  });

  it('no-op passes an empty batch on', async () => {
    const out = await harness.runNode('mify.control.no-op', { items: [], parameters: {} });
    expect(out.main ?? []).toEqual([]);
  });
});
