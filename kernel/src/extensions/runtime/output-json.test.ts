import { describe, expect, it } from 'vitest';
import { decodeDispatchResult } from './isolate/envelope.js';
import { Envelope } from './isolate/sandbox-source.js';
import { takeOutputJson, withOutputJson } from './output-json.js';

describe('sandbox output JSON', () => {
  it('keeps the JSON an isolate result was parsed from until it is taken', () => {
    const body = '{"items":[{"json":{"a":1}}]}';

    const decoded = decodeDispatchResult(Envelope.result + body, 'mify-extension:///acme.test', 1_000);

    expect(decoded.ok).toBe(true);
    const value = (decoded as { value: unknown }).value;
    expect(takeOutputJson(value)).toEqual({ json: body, stringified: true });
    expect(takeOutputJson(value)).toBeUndefined();
  });

  it('keeps nothing for values that are not objects', () => {
    expect(withOutputJson(5, '5', { stringified: true })).toBe(5);
    expect(takeOutputJson(5)).toBeUndefined();
    expect(takeOutputJson(withOutputJson(null, 'null', { stringified: true }))).toBeUndefined();
  });
});
