import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import ParameterForm from './ParameterForm.svelte';
import type { JsonSchema } from './types';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    operations: {
      type: 'array',
      title: 'Operations',
      items: {
        type: 'object',
        title: 'Operation',
        properties: {
          op: { type: 'string', title: 'Operation', enum: ['set', 'rename'] },
          value: { title: 'Value', description: 'Often an expression.' },
          type: { type: 'string', enum: ['auto', 'number'], default: 'auto' },
        },
        required: ['op'],
      },
    },
    limit: { type: 'integer', title: 'Limit' },
    strict: { type: 'boolean', title: 'Strict' },
    retry: { type: 'object', title: 'Retry', properties: { attempts: { type: 'integer' } } },
  },
  required: ['operations'],
};

const context = { inputItems: [{ json: { price: 21 } }], nodes: [], variables: {} };

describe('ParameterForm', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  function setup(parameters: Record<string, unknown> = {}) {
    const props = $state({ schema, parameters, idPrefix: 'n1', context, onchange: (next: Record<string, unknown>) => {
        props.parameters = next;
      },
    });
    component = mount(ParameterForm, { target: document.body, props });
    return props;
  }

  function control(label: string): HTMLElement {
    const element = [...document.querySelectorAll('label')].find((entry) => entry.textContent?.trim() === label);
    if (!element) throw new Error(`No label "${label}"`);
    return document.getElementById(element.htmlFor)!;
  }

  it('lists missing required fields', () => {
    setup();
    expect(document.querySelector('.missing')?.textContent).toBe('Required: Operations.');
  });

  it('adds an array entry with defaults', () => {
    const props = setup();
    const add = [...document.querySelectorAll('button')].find((button) => button.textContent?.trim() === 'Add operation')!;

    add.click();
    flushSync();

    expect(props.parameters).toEqual({ operations: [{ type: 'auto' }] });
    expect(control('Operation').getAttribute('aria-required')).toBe('true');
  });

  it('sets an enum inside an entry', () => {
    const props = setup({ operations: [{ type: 'auto' }] });
    const select = control('Operation') as HTMLSelectElement;

    select.value = '0';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    flushSync();

    expect(props.parameters).toEqual({ operations: [{ type: 'auto', op: 'set' }] });
  });

  it('keeps expressions in number fields', () => {
    const props = setup({ operations: [] });
    const limit = control('Limit') as HTMLInputElement;

    limit.value = '{{ $json.price }}';
    limit.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(props.parameters.limit).toBe('{{ $json.price }}');

    limit.value = '5';
    limit.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(props.parameters.limit).toBe(5);
  });

  it('toggles booleans and edits nested objects', () => {
    const props = setup({ operations: [] });
    const strict = document.querySelector<HTMLInputElement>('input[type="checkbox"]')!;
    strict.click();
    flushSync();
    expect(props.parameters.strict).toBe(true);

    const attempts = control('Attempts') as HTMLInputElement;
    attempts.value = '3';
    attempts.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(props.parameters.retry).toEqual({ attempts: 3 });
  });

  it('shows descriptions beside fields', () => {
    setup({ operations: [{}] });
    const value = control('Value');
    expect(document.getElementById(value.getAttribute('aria-describedby')!)?.textContent).toBe('Often an expression.');
  });
});
