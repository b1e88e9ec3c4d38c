// Turns a node type's parameter JSON Schema into form fields, and edits
// parameter values without mutating them, so every change is a new object
// that the history can keep.
import type { JsonSchema } from './types';

/**
 * How a schema is edited: `enum` as a select, `string` and `any` as
 * expression-aware text, `number`/`integer` as text that becomes a number
 * unless it contains an expression, `boolean` as a checkbox, arrays of objects as
 * a list of sub-forms, arrays of scalars as a list of text rows, `object` as a
 * nested form, and `json` as a JSON text area for anything else.
 */
export type FieldKind = 'enum' | 'string' | 'number' | 'integer' | 'boolean' | 'array-objects' | 'array-scalars' | 'object' | 'json' | 'any';

export interface FieldSpec {
  name: string;
  label: string;
  description: string | undefined;
  required: boolean;
  kind: FieldKind;
  schema: JsonSchema;
}

function primaryType(schema: JsonSchema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((type) => type !== 'null');
  return undefined;
}

/** Classifies a schema for the form; see `FieldKind`. */
export function fieldKind(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum';

  const type = primaryType(schema);
  switch (type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
      return type;
    case 'array': {
      const items = schema.items ?? {};
      if (primaryType(items) === 'object' && items.properties) return 'array-objects';
      const itemType = primaryType(items);
      return itemType === 'string' || itemType === 'number' || itemType === 'integer' ? 'array-scalars' : 'json';
    }
    case 'object':
      return schema.properties ? 'object' : 'json';
    case undefined:
      return 'any';
    default:
      return 'json';
  }
}

/** Turns a property name such as `outputField` or `max_items` into a label: "Output field". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Lists the fields of an object schema in declaration order. */
export function fieldsOf(schema: JsonSchema | undefined): FieldSpec[] {
  const properties = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    label: property.title ?? humanize(name),
    description: property.description,
    required: required.has(name),
    kind: fieldKind(property),
    schema: property,
  }));
}

/** Returns the parameters a new node starts with: every property that declares a default. */
export function defaultParameters(schema: JsonSchema | undefined): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    if (property.default !== undefined) parameters[name] = structuredClone(property.default);
  }
  return parameters;
}

/** Returns the value of a new entry of an array field. */
export function newArrayEntry(items: JsonSchema | undefined): unknown {
  const schema = items ?? {};
  if (schema.default !== undefined) return structuredClone(schema.default);

  switch (fieldKind(schema)) {
    case 'object':
      return defaultParameters(schema);
    case 'enum':
      return schema.enum![0];
    case 'boolean':
      return false;
    case 'number':
    case 'integer':
      return 0;
    default:
      return '';
  }
}

/** Tells whether a parameter value is an expression the kernel evaluates: `{{ … }}` inside, or a leading `=`. */
export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.startsWith('='));
}

/**
 * Converts the text of a number field: an expression or text that is not a
 * number stays text (the kernel reports it), an empty field removes the value.
 */
export function parseNumberInput(text: string, integer: boolean): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (isExpression(trimmed)) return text;

  const value = Number(trimmed);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) return text;
  return value;
}

/** Returns a copy of `record` with `name` set to `value`, or removed when `value` is undefined. */
export function withField(record: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  const next = { ...record };
  if (value === undefined) delete next[name];
  else next[name] = value;
  return next;
}

/** Returns a copy of `list` with the entry at `index` replaced, or removed when `value` is undefined. */
export function withEntry(list: unknown[], index: number, value: unknown): unknown[] {
  if (value === undefined) return list.filter((_, position) => position !== index);
  return list.map((entry, position) => (position === index ? value : entry));
}

/** Returns a copy of `list` with the entry at `from` moved to `to`. */
export function moveEntry(list: unknown[], from: number, to: number): unknown[] {
  if (to < 0 || to >= list.length || from === to) return list;
  const next = [...list];
  const [entry] = next.splice(from, 1);
  next.splice(to, 0, entry);
  return next;
}

/** Lists the required fields of an object schema that `value` leaves empty. */
export function missingRequired(schema: JsonSchema | undefined, value: Record<string, unknown>): string[] {
  return (schema?.required ?? []).filter((name) => {
    const entry = value[name];
    return entry === undefined || entry === null || entry === '' || (Array.isArray(entry) && entry.length === 0);
  });
}
