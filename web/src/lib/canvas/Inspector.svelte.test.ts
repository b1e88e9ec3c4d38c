import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Inspector from './Inspector.svelte';
import type { NodeItems } from './run-state';
import type { Item } from './types';

const items: NodeItems = {
  input: [{ json: { price: 21 } }],
  output: { main: [{ json: { price: 21, total: 42 } }, { json: { price: 1, note: 'x' }, binary: { file: { mimeType: 'text/plain', fileName: 'a.txt', data: btoa('hello') } } }] },
  truncated: false,
  oversized: false,
  stepStatus: 'succeeded',
};

describe('Inspector', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  function setup(overrides: { items?: NodeItems; oversized?: boolean } = {}) {
    const props = $state({ nodeId: 'n1', nodeName: 'Double', items: overrides.items ?? items, pinned: undefined as Item[] | undefined, oversized: overrides.oversized ?? false, onpin: (next: Item[]) => {
        props.pinned = next;
      },
      onunpin: () => {
        props.pinned = undefined;
      },
    });
    component = mount(Inspector, { target: document.body, props });
    return props;
  }

  function button(text: string): HTMLButtonElement {
    const found = [...document.querySelectorAll('button')].find((entry) => entry.textContent?.trim().startsWith(text));
    if (!found) throw new Error(`No button "${text}"`);
    return found;
  }

  it('shows output items as a table', () => {
    setup();
    const headers = [...document.querySelectorAll('th')].map((cell) => cell.textContent);
    const firstRow = [...document.querySelectorAll('tbody tr')][0]!.querySelectorAll('td');

    expect(headers).toEqual(['#', 'price', 'total', 'note']);
    expect([...firstRow].map((cell) => cell.textContent)).toEqual(['0', '21', '42', '']);
  });

  it('switches to JSON and binary views', () => {
    setup();
    button('JSON').click();
    flushSync();
    expect(document.querySelector('pre.json')?.textContent).toContain('"total": 42');

    button('Binary').click();
    flushSync();
    expect(document.querySelector('.binaries pre')?.textContent).toBe('hello');
  });

  it('moves between tabs with arrow keys', () => {
    setup();
    const table = document.querySelector<HTMLButtonElement>('[role="tab"][aria-selected="true"]')!;
    table.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    flushSync();
    expect(document.querySelector('[role="tab"][aria-selected="true"]')?.textContent?.trim()).toBe('JSON');
  });

  it('pins the run output', () => {
    const props = setup();
    button('Pin output').click();
    flushSync();
    expect(props.pinned).toEqual(items.output.main);
    expect(document.querySelector('select')?.selectedOptions[0]?.textContent).toBe('Pinned data (2)');
  });

  it('rejects typed pins that are not objects', () => {
    const props = setup();
    button('Pin JSON').click();
    flushSync();
    const textarea = document.querySelector<HTMLTextAreaElement>('textarea')!;
    textarea.value = '[1, 2]';
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();

    button('Pin data').click();
    flushSync();

    expect(props.pinned).toBeUndefined();
    expect(document.querySelector('[role="alert"]')?.textContent).toBe('Entry 0 of the pinned data is a number; each entry must be an object, such as { "name": "Ada" }.');
  });

  it('warns about oversized output', () => {
    setup({ oversized: true });
    expect(document.querySelector('.notice')?.textContent).toContain("passed the kernel's size limit");
  });
});
