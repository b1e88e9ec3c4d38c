import { describe, expect, it } from 'vitest';
import type { Item } from '../../graphs/model.js';
import { digestThread } from './digest-thread.js';
import { hashStepInput, rememberItemsJson } from './step-input.js';

// A file of its own, because it stops the process's digest thread, which other tests use.
const limits = { maxItemsPerStep: 10_000, maxStepInputBytes: 10_000_000 };
const definition = { type: 'acme.test.pass', typeVersion: 1, parameters: {} };
const largeText = () => JSON.stringify(Array.from({ length: 500 }, (_, index) => ({ json: { text: 'y'.repeat(40), index } })));

describe('hashStepInput without the digest thread', () => {
  it('hashes locally after the thread stops', async () => {
    const text = largeText();
    const inFlight = JSON.parse(text) as Item[];
    rememberItemsJson(inFlight, text);
    const expected = hashStepInput(definition, { main: structuredClone(inFlight) }, 'Node', limits).hash;

    const hashed = hashStepInput(definition, { main: inFlight }, 'Node', limits);
    await digestThread.close();
    const later = JSON.parse(text) as Item[];
    rememberItemsJson(later, text);

    expect(hashed.hash).toBeNull();
    expect(await hashed.pending).toBe(expected);
    expect(hashStepInput(definition, { main: later }, 'Node', limits)).toMatchObject({ hash: expected });
  });
});
