import { describe, expect, it } from 'vitest';
import type { Problem } from './api';
import { fieldLabel, formProblem, hasFieldError } from './problem-display';

describe('fieldLabel', () => {
  it.each([
    ['body.name', 'name'],
    ['body.data.apiKey', 'data.apiKey'],
    ['params.id', 'id'],
    ['body', ''],
    ['password', 'password'],
    ['rows.0', 'Row 1'],
    ['rows.11', 'Row 12'],
  ])('labels %s as %s', (path, expected) => {
    expect(fieldLabel(path)).toBe(expected);
  });
});

describe('hasFieldError', () => {
  const problem: Problem = {
    type: 'urn:mify:problem:validation_failed',
    title: 'Unprocessable Content',
    status: 422,
    code: 'validation_failed',
    detail: 'Invalid.',
    errors: [
      { path: 'body.name', message: 'Too small' },
      { path: 'password', message: 'must have at least 8 characters' },
    ],
  };

  it('matches paths with the body prefix', () => {
    expect(hasFieldError(problem, 'name')).toBe(true);
  });

  it('matches paths without a prefix', () => {
    expect(hasFieldError(problem, 'password')).toBe(true);
  });

  it('does not match other fields', () => {
    expect(hasFieldError(problem, 'email')).toBe(false);
    expect(hasFieldError(null, 'name')).toBe(false);
  });
});

describe('formProblem', () => {
  it('carries the detail and errors', () => {
    const problem = formProblem('Fix the rows.', [{ path: 'rows.0', message: 'missing' }]);

    expect(problem.detail).toBe('Fix the rows.');
    expect(problem.code).toBe('invalid_form');
    expect(problem.errors).toHaveLength(1);
  });
});
