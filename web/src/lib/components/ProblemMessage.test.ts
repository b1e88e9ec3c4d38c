import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { Problem } from '$lib/api';
import ProblemMessage from './ProblemMessage.svelte';

const problem: Problem = {
  type: 'urn:mify:problem:validation_failed',
  title: 'Unprocessable Content',
  status: 422,
  code: 'validation_failed',
  detail: 'The request is invalid.',
  errors: [
    { path: 'body.name', message: 'Too small' },
    { path: 'body', message: 'a JSON body is required' },
  ],
};

describe('ProblemMessage', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  it('keeps an empty live region without a problem', () => {
    component = mount(ProblemMessage, { target: document.body, props: { problem: null } });

    const region = document.querySelector('[aria-live]');
    expect(region?.getAttribute('aria-live')).toBe('assertive');
    expect(region?.textContent?.trim()).toBe('');
  });

  it('shows the detail and each field error', () => {
    component = mount(ProblemMessage, { target: document.body, props: { problem } });
    flushSync();

    expect(document.querySelector('.detail')?.textContent).toBe('The request is invalid.');
    const items = [...document.querySelectorAll('li')].map((item) => item.textContent?.replace(/\s+/g, ' ').trim());
    expect(items).toEqual(['name: Too small', 'a JSON body is required']);
    expect(document.querySelector('[role="alert"]')).not.toBeNull();
  });
});
