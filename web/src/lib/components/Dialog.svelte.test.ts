import { createRawSnippet, flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Dialog from './Dialog.svelte';

const content = createRawSnippet(() => ({ render: () => '<p><button type="button" id="inside">Inside</button></p>' }));

describe('Dialog', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  function setup() {
    const opener = document.createElement('button');
    opener.textContent = 'Open';
    document.body.append(opener);
    const props = $state({ open: false, title: 'Rename', children: content, closed: 0, onclose: () => props.closed++ });
    component = mount(Dialog, { target: document.body, props });
    return { opener, props, dialog: document.querySelector('dialog')! };
  }

  it('renders content only while open', () => {
    const { props, dialog } = setup();
    expect(dialog.open).toBe(false);
    expect(document.getElementById('inside')).toBeNull();

    props.open = true;
    flushSync();

    expect(dialog.open).toBe(true);
    expect(document.getElementById('inside')).not.toBeNull();
  });

  it('names itself by its title', () => {
    const { dialog } = setup();

    const titleId = dialog.getAttribute('aria-labelledby')!;
    expect(document.getElementById(titleId)?.textContent).toBe('Rename');
  });

  it('returns focus to the opener when closed', () => {
    const { opener, props, dialog } = setup();
    opener.focus();
    props.open = true;
    flushSync();
    document.getElementById('inside')!.focus();

    // The browser closes the dialog on Escape; close() fires the same close event.
    dialog.close();
    flushSync();

    expect(props.open).toBe(false);
    expect(props.closed).toBe(1);
    expect(document.activeElement).toBe(opener);
  });
});
