import { describe, expect, it } from 'vitest';
import type { Problem } from '$lib/api';
import { fieldMessages, parseTags, unplacedErrors } from './field-problems';

const problem: Problem = {
  type: 'about:blank',
  title: 'Validation failed',
  status: 422,
  code: 'validation_failed',
  detail: 'The request is invalid.',
  errors: [
    { path: 'body.slug', message: 'bad slug' },
    { path: 'body.tags.0', message: 'too long' },
    { path: 'body.scheduleHints.0.cron', message: 'bad cron' },
  ],
};

describe('fieldMessages', () => {
  it('matches with and without body prefix', () => {
    expect(fieldMessages(problem, 'slug')).toEqual(['bad slug']);
    expect(fieldMessages({ ...problem, errors: [{ path: 'slug', message: 'taken' }] }, 'slug')).toEqual(['taken']);
  });

  it('numbers array items from one', () => {
    expect(fieldMessages(problem, 'tags')).toEqual(['item 1: too long']);
  });

  it('returns nothing without a problem', () => {
    expect(fieldMessages(null, 'slug')).toEqual([]);
  });

  it('does not match a field prefix of another name', () => {
    expect(fieldMessages({ ...problem, errors: [{ path: 'body.slugs', message: 'x' }] }, 'slug')).toEqual([]);
  });
});

describe('unplacedErrors', () => {
  it('returns errors of fields the form lacks', () => {
    expect(unplacedErrors(problem, ['slug', 'tags'])).toEqual([{ path: 'body.scheduleHints.0.cron', message: 'bad cron' }]);
  });
});

describe('parseTags', () => {
  it('trims and drops empty and repeated tags', () => {
    expect(parseTags(' a, b ,, a ,c,')).toEqual(['a', 'b', 'c']);
  });

  it('returns no tags for blank text', () => {
    expect(parseTags('  ')).toEqual([]);
  });
});
