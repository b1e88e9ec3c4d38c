import { describe, expect, it } from 'vitest';
import type { FormDefinition } from '$lib/api';
import { answersToSubmit, checkAnswer, checkPage, serverProblems, visibleFields } from './answers';

const FORM: Pick<FormDefinition, 'pages'> = {
  pages: [
    { title: 'You', fields: [{ name: 'email', label: 'Email', type: 'email', required: true }, { name: 'team', label: 'Team', type: 'checkbox' }] },
    { title: 'Team', fields: [{ name: 'size', label: 'Team size', type: 'number', required: true, min: 2, showWhen: { field: 'team', equals: true } }, { name: 'note', label: 'Note', type: 'text' }] },
  ],
};

describe('form answers', () => {
  it('hides a field until its condition holds', () => {
    expect(visibleFields(FORM, {}).has('size')).toBe(false);
    expect(visibleFields(FORM, { team: true }).has('size')).toBe(true);
  });

  it('requires and checks visible fields of a page', () => {
    expect(checkPage(FORM, 0, { email: 'nope' })).toEqual({ email: 'Email must be an email address such as ada@example.com' });
    expect(checkPage(FORM, 0, {})).toEqual({ email: 'Email is required' });
    expect(checkPage(FORM, 1, {})).toEqual({});
    expect(checkPage(FORM, 1, { team: true, size: '1' })).toEqual({ size: 'Team size must be at least 2' });
  });

  it('checks patterns and choices', () => {
    expect(checkAnswer({ name: 'code', label: 'Code', type: 'text', pattern: '[A-Z]{3}' }, 'AB')).toBe('Code does not match the pattern [A-Z]{3}');
    expect(checkAnswer({ name: 'plan', label: 'Plan', type: 'select', options: [{ value: 'pro', label: 'Pro' }] }, 'free')).toBe('Plan must be one of the choices');
  });

  it('sends only visible answers with numbers as numbers', () => {
    expect(answersToSubmit(FORM, { email: 'a@b.co', team: false, size: '5', note: '' })).toEqual({ email: 'a@b.co', team: false });
    expect(answersToSubmit(FORM, { email: 'a@b.co', team: true, size: '5' })).toEqual({ email: 'a@b.co', team: true, size: 5 });
  });

  it('maps server errors to fields', () => {
    expect(serverProblems([{ path: 'answers.email', message: 'Email is required' }, { path: 'submissionId', message: 'invalid' }])).toEqual({ email: 'Email is required' });
  });
});
