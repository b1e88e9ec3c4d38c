/**
 * Server-side validation of answers against a form definition. A field is visible when it
 * has no condition, or when the field its condition names is visible and answered (with the
 * condition's value, when it sets `equals`). Hidden fields are neither required nor kept.
 */
import { DEFAULT_MAX_TEXT_LENGTH, type FormDefinition, type FormField, type Problem } from './definition.js';

export type AnswerValue = string | number | boolean;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isAnswered(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && value !== false;
}

/** Returns the names of the fields that are visible with these answers. */
export function visibleFields(definition: FormDefinition, answers: Record<string, unknown>): Set<string> {
  const all = definition.pages.flatMap((page) => page.fields);
  const byName = new Map(all.map((field) => [field.name, field]));
  const visible = new Set<string>();
  const resolving = new Set<string>();

  const isVisible = (field: FormField): boolean => {
    if (!field.showWhen) return true;
    // A cycle of conditions hides every field in it.
    if (resolving.has(field.name)) return false;
    resolving.add(field.name);
    const source = byName.get(field.showWhen.field);
    const value = answers[field.showWhen.field];
    const shown = source !== undefined && isVisible(source) && isAnswered(value) && (field.showWhen.equals === undefined || value === field.showWhen.equals);
    resolving.delete(field.name);
    return shown;
  };
  for (const field of all) if (isVisible(field)) visible.add(field.name);
  return visible;
}

function checkField(field: FormField, value: unknown): { value?: AnswerValue; problem?: string } {
  switch (field.type) {
    case 'checkbox':
      if (typeof value !== 'boolean') return { problem: 'must be true or false' };
      if (field.required && !value) return { problem: 'must be checked' };
      return { value };
    case 'number': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number)) return { problem: `must be a number, got ${JSON.stringify(value)}` };
      if (field.min !== undefined && number < field.min) return { problem: `must be at least ${field.min}` };
      if (field.max !== undefined && number > field.max) return { problem: `must be at most ${field.max}` };
      return { value: number };
    }
    default: {
      if (typeof value !== 'string') return { problem: `must be a text, got ${JSON.stringify(value)}` };
      const text = value.trim();
      const maxLength = field.max ?? DEFAULT_MAX_TEXT_LENGTH;
      if (field.min !== undefined && text.length < field.min) return { problem: `must be at least ${field.min} characters` };
      if (text.length > maxLength) return { problem: `must be at most ${maxLength} characters` };
      if (field.type === 'email' && !EMAIL.test(text)) return { problem: 'must be an email address such as ada@example.com' };
      if (field.type === 'date' && (!DATE.test(text) || Number.isNaN(Date.parse(text)))) return { problem: 'must be a date as YYYY-MM-DD' };
      if (field.type === 'select' && !field.options!.some((option) => option.value === text)) return { problem: `must be one of ${field.options!.map((option) => option.value).join(', ')}` };
      if (field.pattern && !new RegExp(`^(?:${field.pattern})$`).test(text)) return { problem: `does not match the pattern ${field.pattern}` };
      return { value: text };
    }
  }
}

/**
 * Validates answers: each visible field's type and rules, required fields, and no answer for
 * an unknown field. Returns the values of the visible, answered fields, or the problems.
 */
export function validateAnswers(definition: FormDefinition, answers: unknown): { values: Record<string, AnswerValue>; problems: Problem[] } {
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) return { values: {}, problems: [{ path: 'answers', message: 'answers must be an object keyed by field name' }] };
  const given = answers as Record<string, unknown>;
  const fields = definition.pages.flatMap((page) => page.fields);
  const problems: Problem[] = [];
  for (const name of Object.keys(given)) {
    if (!fields.some((field) => field.name === name)) problems.push({ path: `answers.${name}`, message: `the form has no field '${name}'` });
  }

  const visible = visibleFields(definition, given);
  const values: Record<string, AnswerValue> = {};
  for (const field of fields) {
    if (!visible.has(field.name)) continue;
    const value = given[field.name];
    if (!isAnswered(value) && field.type !== 'checkbox') {
      if (field.required) problems.push({ path: `answers.${field.name}`, message: `${field.label} is required` });
      continue;
    }
    if (value === undefined && field.type === 'checkbox') {
      if (field.required) problems.push({ path: `answers.${field.name}`, message: `${field.label} must be checked` });
      continue;
    }
    const checked = checkField(field, value);
    if (checked.problem) problems.push({ path: `answers.${field.name}`, message: `${field.label} ${checked.problem}` });
    else values[field.name] = checked.value!;
  }
  return { values, problems };
}
