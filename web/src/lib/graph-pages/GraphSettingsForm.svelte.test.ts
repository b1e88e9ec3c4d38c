import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type GraphSummary } from '$lib/api';
import GraphSettingsForm from './GraphSettingsForm.svelte';

const graph: GraphSummary = {
  id: 'graph_1',
  name: 'Greeter',
  description: 'Says hello',
  slug: null,
  tags: ['demo'],
  settings: {},
  endpointAuth: 'api_key',
  scheduleHints: [],
  draftUpdatedAt: '2025-01-01T00:00:00.000Z',
  createdBy: 'user_1',
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  liveVersion: null,
};

function input(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

function type(element: HTMLInputElement, value: string) {
  element.value = value;
  element.dispatchEvent(new Event('input', { bubbles: true }));
}

function submit() {
  document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

// The problem PUT /api/graphs/:id returns for a slug with upper-case letters and an empty tag.
const validationProblem = new ApiError({
  type: 'https://mify.dev/problems/validation_failed',
  title: 'Validation failed',
  status: 422,
  code: 'validation_failed',
  detail: 'The request is invalid: body.slug: expected 1-64 characters of a-z, 0-9 and dashes, not starting or ending with a dash; body.tags.1: Too small.',
  errors: [
    { path: 'body.slug', message: 'expected 1-64 characters of a-z, 0-9 and dashes, not starting or ending with a dash' },
    { path: 'body.tags.1', message: 'Too small: expected string to have >=1 characters' },
    { path: 'body.settings', message: 'expected at most 65536 bytes of JSON' },
  ],
});

describe('GraphSettingsForm', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  it('sends the edited metadata', async () => {
    const onsave = vi.fn(async () => {});
    component = mount(GraphSettingsForm, { target: document.body, props: { graph, canWrite: true, onsave } });
    type(input('graph-slug'), ' greeter ');
    type(input('graph-tags'), 'demo, hello, demo,');
    const publicChoice = document.querySelector<HTMLInputElement>('input[value="public"]')!;
    publicChoice.checked = true;
    publicChoice.dispatchEvent(new Event('change', { bubbles: true }));
    flushSync();

    submit();
    await vi.waitFor(() => expect(onsave).toHaveBeenCalled());

    expect(onsave).toHaveBeenCalledWith({ name: 'Greeter', description: 'Says hello', slug: 'greeter', tags: ['demo', 'hello'], endpointAuth: 'public' });
  });

  it('sends null for an empty slug', async () => {
    const onsave = vi.fn(async () => {});
    component = mount(GraphSettingsForm, { target: document.body, props: { graph: { ...graph, slug: 'old' }, canWrite: true, onsave } });
    type(input('graph-slug'), '');
    flushSync();

    submit();
    await vi.waitFor(() => expect(onsave).toHaveBeenCalled());

    expect(onsave).toHaveBeenCalledWith(expect.objectContaining({ slug: null }));
  });

  it('shows server problems next to fields', async () => {
    const onsave = vi.fn(async () => {
      throw validationProblem;
    });
    component = mount(GraphSettingsForm, { target: document.body, props: { graph, canWrite: true, onsave } });
    type(input('graph-slug'), 'Bad Slug');
    flushSync();

    submit();
    await vi.waitFor(() => expect(document.getElementById('graph-slug-errors')).not.toBeNull());

    expect(document.getElementById('graph-slug-errors')?.textContent).toContain('expected 1-64 characters of a-z');
    expect(input('graph-slug').getAttribute('aria-invalid')).toBe('true');
    expect(input('graph-slug').getAttribute('aria-describedby')).toContain('graph-slug-errors');
    expect(document.getElementById('graph-tags-errors')?.textContent).toContain('item 2: Too small');
    expect(input('graph-name').getAttribute('aria-invalid')).toBe('false');
  });

  it('lists problems of no field above the button', async () => {
    const onsave = vi.fn(async () => {
      throw validationProblem;
    });
    component = mount(GraphSettingsForm, { target: document.body, props: { graph, canWrite: true, onsave } });

    submit();
    await vi.waitFor(() => expect(document.querySelector('[role="alert"]')).not.toBeNull());

    const alert = document.querySelector('[role="alert"]')!;
    expect(alert.textContent).toContain('settings: expected at most 65536 bytes of JSON');
    expect(alert.querySelectorAll('li')).toHaveLength(1);
  });

  it('shows a slug conflict at the slug', async () => {
    const onsave = vi.fn(async () => {
      throw new ApiError({ type: 'about:blank', title: 'Conflict', status: 409, code: 'conflict', detail: "Slug 'greeter' is already used by another graph in this workspace; choose another slug.", slug: 'greeter' });
    });
    component = mount(GraphSettingsForm, { target: document.body, props: { graph, canWrite: true, onsave } });
    type(input('graph-slug'), 'greeter');
    flushSync();

    submit();
    await vi.waitFor(() => expect(document.getElementById('graph-slug-errors')).not.toBeNull());

    expect(document.getElementById('graph-slug-errors')?.textContent).toContain('already used by another graph');
  });

  it('is read-only without write access', () => {
    component = mount(GraphSettingsForm, { target: document.body, props: { graph, canWrite: false, onsave: async () => {} } });

    expect(input('graph-name').closest('fieldset')?.disabled).toBe(true);
    expect(document.querySelector('button[type="submit"]')).toBeNull();
  });
});
