import type { FieldProblem, Problem } from './api';

/**
 * Turns a field path into the name the form shows: `body.name` from the API
 * becomes `name`, and `rows.0` from the credential form becomes `Row 1`.
 */
export function fieldLabel(path: string): string {
  const row = /^rows\.(\d+)$/.exec(path);
  if (row) return `Row ${Number(row[1]) + 1}`;
  return withoutRequestPart(path);
}

/**
 * Returns whether the problem names `field` (e.g. `name`), so its input can be
 * marked invalid. Paths match with or without the `body.` prefix, because
 * request validation adds it and service validation does not.
 */
export function hasFieldError(problem: Problem | null | undefined, field: string): boolean {
  return (problem?.errors ?? []).some((error) => {
    const path = withoutRequestPart(error.path);
    return path === field || path.startsWith(`${field}.`);
  });
}

/** Strips the request part (`body`, `params`, `query`) that request validation puts before a field path. */
function withoutRequestPart(path: string): string {
  return path.replace(/^(body|params|query)(\.|$)/, '');
}

/** Builds the problem for input the studio rejects before sending it, shown like an API problem. */
export function formProblem(detail: string, errors: FieldProblem[]): Problem {
  return { type: 'about:blank', title: 'Invalid input', status: 0, code: 'invalid_form', detail, errors };
}
