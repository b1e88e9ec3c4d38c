import type { FieldProblem } from './api';

/** One key/value row of the credential form. `id` keys the row in the list, so it survives edits of other rows. */
export interface SecretRow {
  id: number;
  key: string;
  value: string;
}

let nextRowId = 1;

export function newSecretRow(key = ''): SecretRow {
  return { id: nextRowId++, key, value: '' };
}

export interface SecretRowsResult {
  /** The secret fields to send; empty when no row is filled in. */
  data: Record<string, string>;
  /** One entry per invalid row, with `path` set to `rows.<index>`. */
  errors: FieldProblem[];
}

/**
 * Turns the form's rows into the credential's `data` object. Rows with
 * neither a name nor a value are ignored. A value without a name, a name
 * without a value and a repeated name are reported per row, and with
 * `required` so is a form without any filled row.
 */
export function secretRowsToData(rows: readonly SecretRow[], options: { required?: boolean } = {}): SecretRowsResult {
  const data: Record<string, string> = {};
  const errors: FieldProblem[] = [];
  const firstRowOf = new Map<string, number>();

  rows.forEach((row, index) => {
    const key = row.key.trim();
    const path = `rows.${index}`;
    if (key === '' && row.value === '') return;

    if (key === '') {
      errors.push({ path, message: 'the value has no field name; enter a name such as apiKey, or clear the row.' });
      return;
    }
    if (row.value === '') {
      errors.push({ path, message: `enter a value for '${key}', or remove the row.` });
      return;
    }
    const first = firstRowOf.get(key);
    if (first !== undefined) {
      errors.push({ path, message: `field '${key}' is already used in row ${first + 1}; each field name may appear once.` });
      return;
    }

    firstRowOf.set(key, index);
    data[key] = row.value;
  });

  if (options.required && errors.length === 0 && Object.keys(data).length === 0) {
    errors.push({ path: 'rows.0', message: 'add at least one secret field, such as apiKey with its value.' });
  }
  return { data, errors };
}
