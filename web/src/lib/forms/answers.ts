/**
 * Client-side checks of form answers, with the rules the forms API applies on submit, so
 * errors show at the fields before the request. The server checks again and its errors
 * (422 with `errors`) are shown the same way.
 */
import type { FormDefinition, FormField } from '$lib/api';

export type AnswerValue = string | number | boolean;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Maximum text length when a field sets no `max`, in characters, as the server applies it. */
const DEFAULT_MAX_TEXT_LENGTH = 10_000;

export function isAnswered(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && value !== false;
}

/**
 * Returns the names of the visible fields: a field with `showWhen` is visible when the field
 * it names is visible and answered, with `equals` when set. A cycle of conditions hides its fields.
 */
export function visibleFields(definition: Pick<FormDefinition, 'pages'>, answers: Record<string, unknown>): Set<string> {
  const all = definition.pages.flatMap((page) => page.fields);
  const byName = new Map(all.map((field) => [field.name, field]));
  const resolving = new Set<string>();

  const isVisible = (field: FormField): boolean => {
    if (!field.showWhen) return true;
    if (resolving.has(field.name)) return false;
    resolving.add(field.name);
    const source = byName.get(field.showWhen.field);
    const value = answers[field.showWhen.field];
    const shown = source !== undefined && isVisible(source) && isAnswered(value) && (field.showWhen.equals === undefined || value === field.showWhen.equals);
    resolving.delete(field.name);
    return shown;
  };
  return new Set(all.filter(isVisible).map((field) => field.name));
}

/** Returns the message for an invalid answer (starting with the field's label), or null when it is valid. */
export function checkAnswer(field: FormField, value: unknown): string | null {
  if (field.type === 'checkbox') {
    if (field.required && value !== true) return `${field.label} must be checked`;
    return null;
  }
  if (!isAnswered(value)) return field.required ? `${field.label} is required` : null;

  if (field.type === 'number') {
    const number = typeof value === 'string' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number)) return `${field.label} must be a number`;
    if (field.min !== undefined && number < field.min) return `${field.label} must be at least ${field.min}`;
    if (field.max !== undefined && number > field.max) return `${field.label} must be at most ${field.max}`;
    return null;
  }

  const text = String(value).trim();
  if (field.min !== undefined && text.length < field.min) return `${field.label} must be at least ${field.min} characters`;
  if (text.length > (field.max ?? DEFAULT_MAX_TEXT_LENGTH)) return `${field.label} must be at most ${field.max ?? DEFAULT_MAX_TEXT_LENGTH} characters`;
  if (field.type === 'email' && !EMAIL.test(text)) return `${field.label} must be an email address such as ada@example.com`;
  if (field.type === 'date' && (!DATE.test(text) || Number.isNaN(Date.parse(text)))) return `${field.label} must be a date as YYYY-MM-DD`;
  if (field.type === 'select' && !(field.options ?? []).some((option) => option.value === text)) return `${field.label} must be one of the choices`;
  if (field.pattern && !new RegExp(`^(?:${field.pattern})$`).test(text)) return `${field.label} does not match the pattern ${field.pattern}`;
  return null;
}

/** Returns the problems of the visible fields of one page, by field name. */
export function checkPage(definition: Pick<FormDefinition, 'pages'>, pageIndex: number, answers: Record<string, unknown>): Record<string, string> {
  const visible = visibleFields(definition, answers);
  const problems: Record<string, string> = {};
  for (const field of definition.pages[pageIndex]?.fields ?? []) {
    if (!visible.has(field.name)) continue;
    const problem = checkAnswer(field, answers[field.name]);
    if (problem) problems[field.name] = problem;
  }
  return problems;
}

/** Returns the answers to send: visible fields only, numbers as numbers, empty texts left out. */
export function answersToSubmit(definition: Pick<FormDefinition, 'pages'>, answers: Record<string, unknown>): Record<string, AnswerValue> {
  const visible = visibleFields(definition, answers);
  const result: Record<string, AnswerValue> = {};
  for (const field of definition.pages.flatMap((page) => page.fields)) {
    const value = answers[field.name];
    if (!visible.has(field.name) || value === undefined || value === '') continue;
    if (field.type === 'checkbox') result[field.name] = value === true;
    else if (field.type === 'number') result[field.name] = Number(value);
    else result[field.name] = String(value);
  }
  return result;
}

/** Maps the server's 422 `errors` (paths `answers.<field>`) to messages by field name. */
export function serverProblems(errors: Array<{ path: string; message: string }> | undefined): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const error of errors ?? []) {
    const name = error.path.startsWith('answers.') ? error.path.slice('answers.'.length) : null;
    if (name) problems[name] = error.message;
  }
  return problems;
}
