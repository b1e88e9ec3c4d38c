import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type FormRecord, type FormSubmission } from '$lib/api';
import FormRenderer from './FormRenderer.svelte';

const FORM: FormRecord = {
  id: 'doc_1',
  name: 'Signup',
  description: '',
  graphId: 'graph_1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  pages: [
    { title: 'You', fields: [{ name: 'email', label: 'Email', type: 'email', required: true }, { name: 'team', label: 'Team', type: 'checkbox' }] },
    { title: 'Team', fields: [{ name: 'size', label: 'Team size', type: 'number', required: true, showWhen: { field: 'team', equals: true } }] },
  ],
};

async function settle() {
  for (let i = 0; i < 5; i += 1) await tick();
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

function type(id: string, value: string) {
  const input = document.getElementById(id) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

function press(label: string) {
  [...document.querySelectorAll('button')].find((button) => button.textContent === label)!.click();
  flushSync();
}

describe('FormRenderer', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    component = undefined;
    document.body.innerHTML = '';
  });

  it('shows client errors at the field and stays on the page', async () => {
    component = mount(FormRenderer, { target: document.body, props: { form: FORM, submit: async () => ({}) as FormSubmission } });

    press('Next');
    await settle();

    expect(document.getElementById('form-field-email-error')?.textContent).toBe('Email is required');
    expect(document.querySelector('h2')?.textContent).toBe('You');
  });

  it('shows the conditional field on the next page', async () => {
    component = mount(FormRenderer, { target: document.body, props: { form: FORM, submit: async () => ({}) as FormSubmission } });

    type('form-field-email', 'ada@example.com');
    (document.getElementById('form-field-team') as HTMLInputElement).click();
    flushSync();
    press('Next');
    await settle();

    expect(document.querySelector('h2')?.textContent).toBe('Team');
    expect(document.getElementById('form-field-size')).not.toBeNull();
  });

  it('shows server errors at their field', async () => {
    const submit = async (): Promise<FormSubmission> => {
      throw new ApiError({ type: 'about:blank', title: 'invalid', status: 422, code: 'validation_failed', detail: 'The answers are invalid.', errors: [{ path: 'answers.email', message: 'Email is taken' }] });
    };
    component = mount(FormRenderer, { target: document.body, props: { form: { ...FORM, pages: [FORM.pages[0]!] }, submit } });

    type('form-field-email', 'ada@example.com');
    press('Submit');
    await settle();

    expect(document.getElementById('form-field-email-error')?.textContent).toBe('Email is taken');
  });

  it('links the started run after submit', async () => {
    const sent: unknown[] = [];
    const submit = async (answers: Record<string, unknown>): Promise<FormSubmission> => {
      sent.push(answers);
      return { id: 's1', formId: 'doc_1', answers: {}, status: 'started', runId: 'run_9' };
    };
    component = mount(FormRenderer, { target: document.body, props: { form: { ...FORM, pages: [FORM.pages[0]!] }, submit } });

    type('form-field-email', 'ada@example.com');
    press('Submit');
    await settle();

    expect(sent).toEqual([{ email: 'ada@example.com' }]);
    expect(document.querySelector('a[href="/runs/run_9"]')).not.toBeNull();
  });
});
