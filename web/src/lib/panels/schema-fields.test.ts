import { describe, expect, it } from 'vitest';
import { fieldsFromSchema, initialFieldValues, readFieldValues } from './schema-fields';

// A settings schema of the kind an extension contributes: a CRM connection.
const schema = {
  type: 'object',
  properties: {
    baseUrl: { type: 'string', title: 'Base URL', description: 'Root of the CRM API.', pattern: '^https://' },
    pageSize: { type: 'integer', title: 'Page size', minimum: 1, maximum: 500, default: 50 },
    region: { type: 'string', enum: ['eu', 'us'], default: 'eu' },
    verbose: { type: 'boolean', title: 'Verbose logging' },
    weight: { type: 'number' },
    notes: { type: 'string', maxLength: 2000 },
    headers: { type: 'object', title: 'Extra headers' },
  },
  required: ['baseUrl', 'region'],
};

describe('fieldsFromSchema', () => {
  it('maps types to inputs', () => {
    const fields = fieldsFromSchema(schema);

    expect(fields.map((field) => [field.key, field.kind, field.required])).toEqual([
      ['baseUrl', 'text', true],
      ['pageSize', 'integer', false],
      ['region', 'select', true],
      ['verbose', 'checkbox', false],
      ['weight', 'number', false],
      ['notes', 'textarea', false],
      ['headers', 'json', false],
    ]);
    expect(fields[0]).toMatchObject({ label: 'Base URL', description: 'Root of the CRM API.' });
    expect(fields[2]?.options).toEqual(['eu', 'us']);
  });

  it('returns no fields without properties', () => {
    expect(fieldsFromSchema({ type: 'object' })).toEqual([]);
  });
});

describe('initialFieldValues', () => {
  it('prefers stored values over defaults', () => {
    const values = initialFieldValues(fieldsFromSchema(schema), { pageSize: 10, headers: { a: '1' } });

    expect(values).toMatchObject({ baseUrl: '', pageSize: '10', region: 'eu', verbose: false, headers: '{\n  "a": "1"\n}' });
  });
});

describe('readFieldValues', () => {
  const fields = fieldsFromSchema(schema);

  it('converts valid input', () => {
    const read = readFieldValues(fields, { baseUrl: 'https://crm.example', pageSize: '25', region: 'us', verbose: true, weight: '0.5', notes: '', headers: '{"x":"y"}' });

    expect(read).toEqual({ ok: true, values: { baseUrl: 'https://crm.example', pageSize: 25, region: 'us', verbose: true, weight: 0.5, headers: { x: 'y' } } });
  });

  it('names each invalid field', () => {
    const read = readFieldValues(fields, { baseUrl: 'http://crm.example', pageSize: '2.5', region: '', verbose: false, weight: 'abc', notes: '', headers: '{' });

    expect(read.ok).toBe(false);
    const errors = read.ok ? {} : read.errors;
    expect(errors.baseUrl).toContain('must match the pattern ^https://');
    expect(errors.pageSize).toContain('must be a whole number');
    expect(errors.region).toBe('region is required.');
    expect(errors.weight).toContain("'abc' is not one");
    expect(errors.headers).toContain('must be JSON');
  });

  it('checks number limits', () => {
    const read = readFieldValues(fields, { baseUrl: 'https://a', pageSize: '501', region: 'eu', verbose: false, weight: '', notes: '', headers: '' });

    expect(read.ok ? null : read.errors.pageSize).toBe('Page size must be at most 500; got 501.');
  });
});
