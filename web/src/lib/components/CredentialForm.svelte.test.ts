import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Credential } from '$lib/api';
import CredentialForm from './CredentialForm.svelte';

const stored: Credential = {
  id: 'cred_1',
  name: 'OpenAI',
  type: 'openai',
  scope: 'workspace',
  fields: ['apiKey', 'organization'],
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
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

describe('CredentialForm', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  it('sends name, type and secret fields', async () => {
    const onsubmit = vi.fn(async () => {});
    component = mount(CredentialForm, { target: document.body, props: { onsubmit, oncancel: () => {} } });
    type(input('credential-name'), 'OpenAI');
    type(input('credential-type'), 'openai');
    const [key, value] = [...document.querySelectorAll<HTMLInputElement>('fieldset input')];
    type(key!, 'apiKey');
    type(value!, 'sk-secret');
    flushSync();

    submit();
    await vi.waitFor(() => expect(onsubmit).toHaveBeenCalled());

    expect(onsubmit).toHaveBeenCalledWith({ name: 'OpenAI', type: 'openai', data: { apiKey: 'sk-secret' } });
  });

  it('shows row errors and sends nothing', () => {
    const onsubmit = vi.fn(async () => {});
    component = mount(CredentialForm, { target: document.body, props: { onsubmit, oncancel: () => {} } });
    type(input('credential-name'), 'OpenAI');
    type(input('credential-type'), 'openai');
    flushSync();

    submit();
    flushSync();

    expect(onsubmit).not.toHaveBeenCalled();
    expect(document.querySelector('[role="alert"]')?.textContent).toContain('Row 1');
    expect(document.querySelector('fieldset input')?.getAttribute('aria-invalid')).toBe('true');
  });

  it('keeps the stored secret when editing without values', async () => {
    const onsubmit = vi.fn(async () => {});
    component = mount(CredentialForm, { target: document.body, props: { credential: stored, onsubmit, oncancel: () => {} } });
    type(input('credential-name'), 'OpenAI prod');
    flushSync();

    submit();
    await vi.waitFor(() => expect(onsubmit).toHaveBeenCalled());

    expect(onsubmit).toHaveBeenCalledWith({ name: 'OpenAI prod', type: 'openai' });
  });

  it('prefills stored field names but never values', () => {
    component = mount(CredentialForm, { target: document.body, props: { credential: stored, onsubmit: async () => {}, oncancel: () => {} } });

    const values = [...document.querySelectorAll<HTMLInputElement>('fieldset input')].map((element) => element.value);
    expect(values).toEqual(['apiKey', '', 'organization', '']);
    expect(input('credential-type').disabled).toBe(true);
  });
});
