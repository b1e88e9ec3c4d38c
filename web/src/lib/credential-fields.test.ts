import { describe, expect, it } from 'vitest';
import { newSecretRow, secretRowsToData, type SecretRow } from './credential-fields';

function row(key: string, value: string): SecretRow {
  return { ...newSecretRow(key), value };
}

describe('secretRowsToData', () => {
  it('builds data from filled rows', () => {
    const result = secretRowsToData([row('apiKey', 'sk-1'), row(' org ', 'acme')]);

    expect(result.data).toEqual({ apiKey: 'sk-1', org: 'acme' });
    expect(result.errors).toEqual([]);
  });

  it('ignores empty rows', () => {
    const result = secretRowsToData([row('', ''), row('apiKey', 'sk-1'), row('', '')]);

    expect(result.data).toEqual({ apiKey: 'sk-1' });
    expect(result.errors).toEqual([]);
  });

  it('keeps values exactly, spaces included', () => {
    expect(secretRowsToData([row('password', ' p a ss ')]).data.password).toBe(' p a ss ');
  });

  it('reports a value without a name', () => {
    const { errors } = secretRowsToData([row('apiKey', 'sk-1'), row('  ', 'orphan')]);

    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('rows.1');
    expect(errors[0]?.message).toContain('no field name');
  });

  it('reports a name without a value', () => {
    const { errors } = secretRowsToData([row('apiKey', '')]);

    expect(errors).toEqual([{ path: 'rows.0', message: "enter a value for 'apiKey', or remove the row." }]);
  });

  it('reports a repeated name with the first row', () => {
    const { data, errors } = secretRowsToData([row('apiKey', 'a'), row('org', 'b'), row('apiKey', 'c')]);

    expect(data).toEqual({ apiKey: 'a', org: 'b' });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('rows.2');
    expect(errors[0]?.message).toContain('row 1');
  });

  it('requires one field when asked', () => {
    const { errors } = secretRowsToData([row('', '')], { required: true });

    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('rows.0');
  });

  it('accepts no rows when not required', () => {
    expect(secretRowsToData([])).toEqual({ data: {}, errors: [] });
  });
});

describe('newSecretRow', () => {
  it('gives each row its own id', () => {
    expect(newSecretRow().id).not.toBe(newSecretRow().id);
  });
});
