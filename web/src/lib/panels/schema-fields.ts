// Form fields from a JSON Schema of an object, for extension panels and
// settings pages: strings (with enum, pattern, length limits), numbers and
// integers (with minimum and maximum), booleans, and a JSON text area for
// arrays, objects and anything else.

export type SchemaFieldKind = 'text' | 'textarea' | 'select' | 'number' | 'integer' | 'checkbox' | 'json';

export interface SchemaField {
  key: string;
  label: string;
  description: string | null;
  kind: SchemaFieldKind;
  required: boolean;
  options: string[];
  /** The schema of the property, for the checks in `readFieldValues`. */
  schema: Record<string, unknown>;
}

/** Field values as the inputs hold them: text for text-like inputs, booleans for checkboxes. */
export type RawFieldValues = Record<string, string | boolean>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(schema: Record<string, unknown>): SchemaFieldKind {
  if (Array.isArray(schema.enum) && schema.enum.every((option) => typeof option === 'string')) return 'select';
  switch (schema.type) {
    case 'string':
      return schema.format === 'textarea' || (typeof schema.maxLength === 'number' && schema.maxLength > 200) ? 'textarea' : 'text';
    case 'number':
      return 'number';
    case 'integer':
      return 'integer';
    case 'boolean':
      return 'checkbox';
    default:
      return 'json';
  }
}

/** Lists the fields of an object schema in property order. */
export function fieldsFromSchema(schema: Record<string, unknown>): SchemaField[] {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === 'string') : [];
  return Object.entries(properties)
    .filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]))
    .map(([key, property]) => ({
      key,
      label: typeof property.title === 'string' ? property.title : key,
      description: typeof property.description === 'string' ? property.description : null,
      kind: kindOf(property),
      required: required.includes(key),
      options: Array.isArray(property.enum) ? property.enum.map(String) : [],
      schema: property,
    }));
}

/** Returns the inputs' starting values: the stored values, else each property's default, else empty. */
export function initialFieldValues(fields: SchemaField[], stored: Record<string, unknown> = {}): RawFieldValues {
  const values: RawFieldValues = {};
  for (const field of fields) {
    const value = field.key in stored ? stored[field.key] : field.schema.default;
    if (field.kind === 'checkbox') values[field.key] = value === true;
    else if (field.kind === 'json') values[field.key] = value === undefined ? '' : JSON.stringify(value, null, 2);
    else values[field.key] = value === undefined || value === null ? '' : String(value);
  }
  return values;
}

/**
 * Checks the inputs against their schemas and converts them to JSON values.
 * Empty optional fields are left out. Returns the values, or one message per
 * invalid field that names the expected form.
 */
export function readFieldValues(fields: SchemaField[], raw: RawFieldValues): { ok: true; values: Record<string, unknown> } | { ok: false; errors: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};

  for (const field of fields) {
    const input = raw[field.key];
    if (field.kind === 'checkbox') {
      values[field.key] = input === true;
      continue;
    }

    const text = typeof input === 'string' ? input : '';
    if (text.trim() === '') {
      if (field.required) errors[field.key] = `${field.label} is required.`;
      continue;
    }

    const checked = checkValue(field, text);
    if ('error' in checked) errors[field.key] = checked.error;
    else values[field.key] = checked.value;
  }

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, values };
}

function checkValue(field: SchemaField, text: string): { value: unknown } | { error: string } {
  const schema = field.schema;
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const value = Number(text.trim());
      if (!Number.isFinite(value)) return { error: `${field.label} must be a number; '${text}' is not one.` };
      if (field.kind === 'integer' && !Number.isInteger(value)) return { error: `${field.label} must be a whole number; got ${text}.` };
      if (typeof schema.minimum === 'number' && value < schema.minimum) return { error: `${field.label} must be at least ${schema.minimum}; got ${value}.` };
      if (typeof schema.maximum === 'number' && value > schema.maximum) return { error: `${field.label} must be at most ${schema.maximum}; got ${value}.` };
      return { value };
    }
    case 'select':
      return field.options.includes(text) ? { value: text } : { error: `${field.label} must be one of ${field.options.join(', ')}; got '${text}'.` };
    case 'json':
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: `${field.label} must be JSON, such as ${schema.type === 'array' ? '["a", "b"]' : '{"key": "value"}'}; the text does not parse.` };
      }
    default: {
      if (typeof schema.minLength === 'number' && text.length < schema.minLength) return { error: `${field.label} must have at least ${schema.minLength} characters; it has ${text.length}.` };
      if (typeof schema.maxLength === 'number' && text.length > schema.maxLength) return { error: `${field.label} must have at most ${schema.maxLength} characters; it has ${text.length}.` };
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(text)) return { error: `${field.label} must match the pattern ${schema.pattern}; '${text}' does not.` };
      return { value: text };
    }
  }
}
