import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DigestThread } from './digest-thread.js';
import { canonicalJson } from './items-digest.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const itemsOf = (count: number) => Array.from({ length: count }, (_, index) => ({ json: { text: `item ${index}`, index } }));

describe('DigestThread', () => {
  let thread: DigestThread;

  afterEach(async () => {
    await thread.close();
  });

  it('computes canonical digests in order', async () => {
    thread = new DigestThread();
    const texts = [JSON.stringify(itemsOf(2_000)), JSON.stringify([{ json: { a: 1 } }]), JSON.stringify(itemsOf(3))];

    const digests = await Promise.all(texts.map((text) => thread.submit(text)));

    expect(digests).toEqual(texts.map((text) => sha256(canonicalJson(JSON.parse(text)))));
    expect(thread.pending).toBe(0);
  });

  it('returns undefined for invalid JSON', async () => {
    thread = new DigestThread();
    const warn = vi.fn();
    thread.useLogger({ warn } as never);

    expect(await thread.submit('[{"json":')).toBeUndefined();
    expect(warn).toHaveBeenCalledWith({ requestId: 1, reason: expect.stringContaining('JSON') }, 'the digest thread could not read an items text; the kernel thread hashes those items');
    expect(await thread.submit('[]')).toBe(sha256('[]'));
  });

  it('settles pending requests on close', async () => {
    thread = new DigestThread();
    await thread.submit('[]');
    const inFlight = thread.submit(JSON.stringify(itemsOf(20_000)));

    await thread.close();

    expect(await inFlight).toBeUndefined();
    expect(thread.available).toBe(false);
    expect(thread.submit('[]')).toBeUndefined();
  });
});
