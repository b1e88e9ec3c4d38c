import { describe, expect, it } from 'vitest';
import { base64Bytes, binaryEntries, binaryKind, CELL_MAX_CHARS, cellText, decodeBase64Text, parsePinnedJson, PIN_MAX_CHARS, TABLE_MAX_ROWS, tableOf } from './inspector';

describe('tableOf', () => {
  it('makes columns from fields in order of appearance', () => {
    const table = tableOf([{ json: { a: 1, b: 'x' } }, { json: { c: { d: true }, a: 2 } }]);
    expect(table.columns).toEqual(['a', 'b', 'c']);
    expect(table.rows).toEqual([
      ['1', 'x', ''],
      ['2', '', '{"d":true}'],
    ]);
  });

  it('limits the rows shown', () => {
    const items = Array.from({ length: TABLE_MAX_ROWS + 5 }, (_, index) => ({ json: { index } }));
    const table = tableOf(items);
    expect(table.rows).toHaveLength(TABLE_MAX_ROWS);
    expect(table.hiddenRows).toBe(5);
  });

  it('cuts long cells', () => {
    const text = cellText('x'.repeat(CELL_MAX_CHARS + 10));
    expect(text).toHaveLength(CELL_MAX_CHARS);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('binary previews', () => {
  it.each([
    ['image/png', 'image'],
    ['text/plain; charset=utf-8', 'text'],
    ['application/json', 'text'],
    ['application/ld+json', 'text'],
    ['application/pdf', 'other'],
  ])('%s is %s', (mimeType, kind) => {
    expect(binaryKind(mimeType)).toBe(kind);
  });

  it('counts decoded bytes', () => {
    expect(base64Bytes(btoa('hello'))).toBe(5);
    expect(base64Bytes(btoa('hi'))).toBe(2);
  });

  it('decodes UTF-8 text', () => {
    const data = btoa(String.fromCharCode(...new TextEncoder().encode('Grüße')));
    expect(decodeBase64Text(data)).toEqual({ text: 'Grüße', cut: false });
    expect(decodeBase64Text(btoa('abcdef'), 3)).toEqual({ text: 'abc', cut: true });
  });

  it('lists binary entries with their item', () => {
    const entries = binaryEntries([{ json: {} }, { json: {}, binary: { file: { mimeType: 'image/png', fileName: 'a.png', data: btoa('png') } } }]);
    expect(entries).toEqual([{ itemIndex: 1, key: 'file', mimeType: 'image/png', fileName: 'a.png', data: btoa('png'), kind: 'image', bytes: 3 }]);
  });
});

describe('parsePinnedJson', () => {
  it('wraps plain objects as items', () => {
    expect(parsePinnedJson('[{ "price": 50 }]')).toEqual({ ok: true, items: [{ json: { price: 50 } }] });
  });

  it('accepts items as they are', () => {
    expect(parsePinnedJson('[{ "json": { "a": 1 }, "pairedItem": 0 }]')).toEqual({ ok: true, items: [{ json: { a: 1 }, pairedItem: 0 }] });
  });

  it('accepts one object', () => {
    expect(parsePinnedJson('{ "a": 1 }')).toEqual({ ok: true, items: [{ json: { a: 1 } }] });
  });

  it('treats an object with json and other keys as data', () => {
    expect(parsePinnedJson('{ "json": {}, "extra": 1 }')).toEqual({ ok: true, items: [{ json: { json: {}, extra: 1 } }] });
  });

  it('rejects invalid JSON with the expected form', () => {
    const result = parsePinnedJson('[{ price: 1 }]');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/^The pinned data is not valid JSON: .*Enter an array of objects/);
  });

  it('rejects entries that are not objects', () => {
    expect(parsePinnedJson('[1]')).toEqual({ ok: false, message: 'Entry 0 of the pinned data is a number; each entry must be an object, such as { "name": "Ada" }.' });
    expect(parsePinnedJson('[{}, null]')).toEqual({ ok: false, message: 'Entry 1 of the pinned data is null; each entry must be an object, such as { "name": "Ada" }.' });
  });

  it('rejects text over the limit', () => {
    const result = parsePinnedJson(' '.repeat(PIN_MAX_CHARS + 1));
    expect(result).toEqual({ ok: false, message: `The pinned data has ${PIN_MAX_CHARS + 1} characters; at most ${PIN_MAX_CHARS} are accepted. Pin fewer items.` });
  });
});
