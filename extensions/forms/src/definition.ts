/**
 * Form definitions: pages of fields, each field with a type, validation rules and an optional
 * condition that shows it only when another field has a value. `parseDefinition` checks a
 * definition as sent to `POST /api/forms`.
 */

export const FIELD_TYPES = ['text', 'textarea', 'number', 'email', 'select', 'checkbox', 'date'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Maximum pages of one form. */
export const MAX_PAGES = 20;
/** Maximum fields of one form, over all pages. */
export const MAX_FIELDS = 200;
/** Maximum length of a text answer, in characters, when a field sets no maxLength. */
export const DEFAULT_MAX_TEXT_LENGTH = 10_000;

/** Shows a field only when another field is answered: with `equals`, only with that value. */
export interface FieldCondition {
  field: string;
  equals?: string | number | boolean;
}

export interface FormField {
  /** Key of the answer, letters, digits and `_`, unique in the form. */
  name: string;
  label: string;
  type: FieldType;
  required?: boolean;
  /** Smallest and largest number for `number`; shortest and longest text (in characters) otherwise. */
  min?: number;
  max?: number;
  /** Regular expression a text answer must match as a whole. */
  pattern?: string;
  /** Choices of a `select` field. */
  options?: Array<{ value: string; label: string }>;
  showWhen?: FieldCondition;
  help?: string;
}

export interface FormPage {
  title: string;
  fields: FormField[];
}

export interface FormDefinition {
  name: string;
  description: string;
  /** Graph whose published version each submission starts. */
  graphId: string;
  pages: FormPage[];
}

export interface Problem {
  path: string;
  message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalNumber(field: Record<string, unknown>, key: string, path: string, problems: Problem[]): number | undefined {
  if (field[key] === undefined) return undefined;
  if (typeof field[key] !== 'number' || !Number.isFinite(field[key])) {
    problems.push({ path: `${path}.${key}`, message: `${key} must be a number, got ${JSON.stringify(field[key])}` });
    return undefined;
  }
  return field[key] as number;
}

function parseField(raw: unknown, path: string, problems: Problem[]): FormField | null {
  if (!isObject(raw)) {
    problems.push({ path, message: 'a field must be an object with name, label and type' });
    return null;
  }
  const name = raw.name;
  if (typeof name !== 'string' || !NAME.test(name)) problems.push({ path: `${path}.name`, message: `name must be 1-64 letters, digits or _ starting with a letter or _, got ${JSON.stringify(name)}` });
  if (typeof raw.label !== 'string' || raw.label.trim() === '' || raw.label.length > 500) problems.push({ path: `${path}.label`, message: 'label must be a text of 1-500 characters' });
  if (!FIELD_TYPES.includes(raw.type as FieldType)) problems.push({ path: `${path}.type`, message: `type must be one of ${FIELD_TYPES.join(', ')}, got ${JSON.stringify(raw.type)}` });

  const field: FormField = { name: String(name), label: String(raw.label), type: raw.type as FieldType };
  if (raw.required !== undefined) field.required = raw.required === true;
  const min = optionalNumber(raw, 'min', path, problems);
  const max = optionalNumber(raw, 'max', path, problems);
  if (min !== undefined) field.min = min;
  if (max !== undefined) field.max = max;
  if (min !== undefined && max !== undefined && min > max) problems.push({ path: `${path}.min`, message: `min ${min} is greater than max ${max}` });
  if (typeof raw.help === 'string') field.help = raw.help.slice(0, 1_000);

  if (raw.pattern !== undefined) {
    try {
      if (typeof raw.pattern !== 'string' || raw.pattern.length > 500) throw new Error('not a text of at most 500 characters');
      new RegExp(raw.pattern);
      field.pattern = raw.pattern;
    } catch (error) {
      problems.push({ path: `${path}.pattern`, message: `pattern is not a valid regular expression: ${(error as Error).message}` });
    }
  }

  if (field.type === 'select') {
    const options = Array.isArray(raw.options) ? raw.options : [];
    const valid = options.filter((option): option is { value: string; label: string } => isObject(option) && typeof option.value === 'string' && option.value !== '' && typeof option.label === 'string');
    if (valid.length === 0 || valid.length !== options.length || options.length > 500) problems.push({ path: `${path}.options`, message: 'a select field needs 1-500 options, each { value, label } with a non-empty value' });
    field.options = valid.map((option) => ({ value: option.value, label: option.label }));
  }

  if (raw.showWhen !== undefined) {
    const condition = raw.showWhen;
    if (!isObject(condition) || typeof condition.field !== 'string' || (condition.equals !== undefined && !['string', 'number', 'boolean'].includes(typeof condition.equals))) {
      problems.push({ path: `${path}.showWhen`, message: 'showWhen must be { field, equals? } with equals a string, number or boolean' });
    } else {
      field.showWhen = { field: condition.field, ...(condition.equals !== undefined ? { equals: condition.equals as string | number | boolean } : {}) };
    }
  }
  return field;
}

/** Checks a definition sent by a client and returns it normalised, or the list of problems. */
export function parseDefinition(raw: unknown): { definition: FormDefinition; problems: [] } | { definition: null; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!isObject(raw)) return { definition: null, problems: [{ path: '$', message: 'the body must be a JSON object with name, graphId and pages' }] };
  if (typeof raw.name !== 'string' || raw.name.trim() === '' || raw.name.length > 200) problems.push({ path: 'name', message: 'name must be a text of 1-200 characters' });
  if (typeof raw.graphId !== 'string' || raw.graphId === '') problems.push({ path: 'graphId', message: 'graphId must name the graph each submission starts' });
  const rawPages = Array.isArray(raw.pages) ? raw.pages : [];
  if (rawPages.length === 0 || rawPages.length > MAX_PAGES) problems.push({ path: 'pages', message: `pages must list 1-${MAX_PAGES} pages` });

  const pages: FormPage[] = [];
  const names = new Set<string>();
  let count = 0;
  for (const [pageIndex, rawPage] of rawPages.slice(0, MAX_PAGES).entries()) {
    const path = `pages[${pageIndex}]`;
    if (!isObject(rawPage) || !Array.isArray(rawPage.fields)) {
      problems.push({ path, message: 'a page must be { title, fields: [...] }' });
      continue;
    }
    const fields: FormField[] = [];
    for (const [fieldIndex, rawField] of rawPage.fields.entries()) {
      const field = parseField(rawField, `${path}.fields[${fieldIndex}]`, problems);
      count += 1;
      if (!field) continue;
      if (names.has(field.name)) problems.push({ path: `${path}.fields[${fieldIndex}].name`, message: `the name '${field.name}' is used by another field; names must be unique in the form` });
      names.add(field.name);
      fields.push(field);
    }
    pages.push({ title: typeof rawPage.title === 'string' ? rawPage.title.slice(0, 200) : `Page ${pageIndex + 1}`, fields });
  }
  if (count > MAX_FIELDS) problems.push({ path: 'pages', message: `a form has at most ${MAX_FIELDS} fields, got ${count}` });
  for (const [pageIndex, page] of pages.entries()) {
    for (const [fieldIndex, field] of page.fields.entries()) {
      if (field.showWhen && (!names.has(field.showWhen.field) || field.showWhen.field === field.name)) {
        problems.push({ path: `pages[${pageIndex}].fields[${fieldIndex}].showWhen.field`, message: `showWhen names '${field.showWhen.field}', which is not another field of the form` });
      }
    }
  }

  if (problems.length > 0) return { definition: null, problems };
  return { definition: { name: String(raw.name).trim(), description: typeof raw.description === 'string' ? raw.description.slice(0, 2_000) : '', graphId: String(raw.graphId), pages }, problems: [] };
}
