import type { FieldProblem, Problem } from '$lib/api';

/** Strips the request part (`body`, `params`, `query`) that request validation puts before a field path. */
function fieldPath(path: string): string {
  return path.replace(/^(body|params|query)(\.|$)/, '');
}

/**
 * Returns the messages of a problem that concern `field` (such as `slug`, or
 * `tags` for `body.tags.2`), so a form shows each one next to its input. A
 * conflict that names the field as a problem extension (a 409 with `slug`)
 * counts too, with the problem's detail as its message.
 */
export function fieldMessages(problem: Problem | null | undefined, field: string): string[] {
  if (!problem) return [];
  const messages = (problem.errors ?? [])
    .filter((error) => {
      const path = fieldPath(error.path);
      return path === field || path.startsWith(`${field}.`);
    })
    .map((error) => {
      const path = fieldPath(error.path);
      const item = /^[^.]+\.(\d+)$/.exec(path);
      return item ? `item ${Number(item[1]) + 1}: ${error.message}` : error.message;
    });
  if (messages.length === 0 && problem.status === 409 && problem[field] !== undefined) messages.push(problem.detail);
  return messages;
}

/** Returns the problem's field errors that none of `fields` shows, for the summary above the form's buttons. */
export function unplacedErrors(problem: Problem | null | undefined, fields: readonly string[]): FieldProblem[] {
  if (!problem) return [];
  return (problem.errors ?? []).filter((error) => !fields.some((field) => fieldMessages({ ...problem, errors: [error] }, field).length > 0));
}

/** Splits a comma-separated tag list into tags: trimmed, without empty entries or duplicates. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((tag) => tag.trim()).filter((tag) => tag !== ''))];
}
