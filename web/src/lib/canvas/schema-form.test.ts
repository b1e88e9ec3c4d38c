import { describe, expect, it } from 'vitest';
import { defaultParameters, fieldKind, fieldsOf, humanize, isExpression, missingRequired, moveEntry, newArrayEntry, parseNumberInput, withEntry, withField } from './schema-form';
import type { JsonSchema } from './types';

const operations: JsonSchema = {
  type: 'array',
  title: 'Operations',
  items: {
    type: 'object',
    title: 'Operation',
    properties: {
      op: { type: 'string', enum: ['set', 'rename'] },
      path: { type: 'string' },
      value: { title: 'Value' },
      type: { type: 'string', enum: ['auto', 'number'], default: 'auto' },
    },
    required: ['op'],
  },
};

const schema: JsonSchema = {
  type: 'object',
  properties: {
    operations,
    outputField: { type: 'string', default: 'text', description: 'Field that receives the text.' },
    maxItems: { type: 'integer', minimum: 1 },
    ratio: { type: 'number' },
    strict: { type: 'boolean', default: false },
    tags: { type: 'array', items: { type: 'string' } },
    retry: { type: 'object', properties: { attempts: { type: 'integer' } } },
    headers: { type: 'object' },
    mode: { enum: ['a', 'b'] },
  },
  required: ['operations'],
};

describe('fieldKind', () => {
  it.each([
    ['operations', 'array-objects'],
    ['outputField', 'string'],
    ['maxItems', 'integer'],
    ['ratio', 'number'],
    ['strict', 'boolean'],
    ['tags', 'array-scalars'],
    ['retry', 'object'],
    ['headers', 'json'],
    ['mode', 'enum'],
  ])('%s is %s', (name, kind) => {
    expect(fieldKind(schema.properties![name]!)).toBe(kind);
  });

  it('treats an untyped schema as any', () => {
    expect(fieldKind({ title: 'Value' })).toBe('any');
  });

  it('reads nullable type lists', () => {
    expect(fieldKind({ type: ['string', 'null'] })).toBe('string');
  });
});

describe('fieldsOf', () => {
  it('lists fields with labels and required flags', () => {
    const fields = fieldsOf(schema);
    expect(fields[0]).toMatchObject({ name: 'operations', label: 'Operations', required: true, kind: 'array-objects' });
    expect(fields[1]).toMatchObject({ name: 'outputField', label: 'Output field', required: false, description: 'Field that receives the text.' });
  });

  it('returns nothing for a missing schema', () => {
    expect(fieldsOf(undefined)).toEqual([]);
  });
});

describe('humanize', () => {
  it.each([
    ['outputField', 'Output field'],
    ['max_items', 'Max items'],
    ['url', 'Url'],
  ])('%s becomes %s', (name, label) => {
    expect(humanize(name)).toBe(label);
  });
});

describe('defaults', () => {
  it('takes declared defaults only', () => {
    expect(defaultParameters(schema)).toEqual({ outputField: 'text', strict: false });
  });

  it('copies default objects', () => {
    const withObject: JsonSchema = { type: 'object', properties: { list: { type: 'array', default: [1] } } };
    const first = defaultParameters(withObject);
    (first.list as number[]).push(2);
    expect(defaultParameters(withObject)).toEqual({ list: [1] });
  });

  it('starts a new object entry with its defaults', () => {
    expect(newArrayEntry(operations.items)).toEqual({ type: 'auto' });
  });

  it('starts new scalar entries empty', () => {
    expect(newArrayEntry({ type: 'string' })).toBe('');
    expect(newArrayEntry({ type: 'integer' })).toBe(0);
    expect(newArrayEntry({ enum: ['x', 'y'] })).toBe('x');
  });
});

describe('values', () => {
  it('recognises expressions', () => {
    expect(isExpression('{{ $json.a }}')).toBe(true);
    expect(isExpression('=Hello')).toBe(true);
    expect(isExpression('plain')).toBe(false);
    expect(isExpression(42)).toBe(false);
  });

  it('parses number input', () => {
    expect(parseNumberInput('42', false)).toBe(42);
    expect(parseNumberInput(' 1.5 ', false)).toBe(1.5);
    expect(parseNumberInput('', false)).toBeUndefined();
    expect(parseNumberInput('{{ $json.n }}', true)).toBe('{{ $json.n }}');
  });

  it('keeps invalid numbers as text', () => {
    expect(parseNumberInput('1.5', true)).toBe('1.5');
    expect(parseNumberInput('abc', false)).toBe('abc');
  });

  it('sets and removes fields without mutating', () => {
    const record = { a: 1 };
    expect(withField(record, 'b', 2)).toEqual({ a: 1, b: 2 });
    expect(withField(record, 'a', undefined)).toEqual({});
    expect(record).toEqual({ a: 1 });
  });

  it('replaces, removes and moves entries', () => {
    const list = ['a', 'b', 'c'];
    expect(withEntry(list, 1, 'B')).toEqual(['a', 'B', 'c']);
    expect(withEntry(list, 1, undefined)).toEqual(['a', 'c']);
    expect(moveEntry(list, 0, 2)).toEqual(['b', 'c', 'a']);
    expect(moveEntry(list, 0, -1)).toBe(list);
    expect(list).toEqual(['a', 'b', 'c']);
  });

  it('lists empty required fields', () => {
    expect(missingRequired(schema, {})).toEqual(['operations']);
    expect(missingRequired(schema, { operations: [] })).toEqual(['operations']);
    expect(missingRequired(schema, { operations: [{ op: 'set' }] })).toEqual([]);
  });
});
