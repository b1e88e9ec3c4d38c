import { describe, expect, it } from 'vitest';

import { lookUpDataPath, parseDataPath } from './data-paths.js';

describe('parseDataPath', () => {
  it.each([
    ['$json', []],
    [' $json.body.name ', ['body', 'name']],
    ['$json["first name"][0]', ['first name', 0]],
    ["$json['a.b'].$c_1", ['a.b', '$c_1']],
    ['$json[12].length', [12, 'length']],
  ])('reads %s', (source, path) => {
    expect(parseDataPath(source)).toEqual(path);
  });

  it.each([
    '$json.name.trim()',
    '$json.a + 1',
    '$json[name]',
    '$json["a\\"b"]',
    '$json[01]',
    '$json?.a',
    '$input.item.json.a',
    '$jsonx.a',
    '$json.a;',
  ])('rejects %s', (source) => {
    expect(parseDataPath(source)).toBeNull();
  });
});

describe('lookUpDataPath', () => {
  const json = { a: { b: [1, null, { c: 'x' }] }, n: 2, nan: Number.NaN, when: new Date(0), gone: undefined };

  it('finds own properties and array elements', () => {
    expect(lookUpDataPath(json, ['a', 'b', 2, 'c'])).toEqual({ value: 'x' });
    expect(lookUpDataPath(json, ['a', 'b', 1])).toEqual({ value: null });
    expect(lookUpDataPath(json, ['a', 'b', 'length'])).toEqual({ value: 3 });
    expect(lookUpDataPath(json, [])).toEqual({ value: json });
  });

  it.each([
    ['a missing key', ['missing']],
    ['an inherited key', ['constructor']],
    ['a property of a number', ['n', 'toFixed']],
    ['an index past the end', ['a', 'b', 3]],
    ['a named property of an array', ['a', 'b', 'map']],
    ['NaN', ['nan']],
    ['a Date', ['when']],
    ['an undefined value', ['gone']],
  ])('leaves %s to the sandbox', (_case, path) => {
    expect(lookUpDataPath(json, path)).toBeUndefined();
  });

  it('leaves an object with its own toJSON to the sandbox', () => {
    expect(lookUpDataPath({ a: { toJSON: () => 1 } }, ['a'])).toBeUndefined();
  });
});
