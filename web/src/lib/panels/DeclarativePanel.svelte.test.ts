import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type PanelContribution } from '$lib/api';
import DeclarativePanel from './DeclarativePanel.svelte';

function panel(schema: PanelContribution['schema'], title = 'CRM contacts'): Pick<PanelContribution, 'id' | 'title' | 'schema' | 'extensionId'> {
  return { id: 'contacts', title, schema, extensionId: 'acme.crm' };
}

const context = { workspaceId: 'ws_1', graphId: 'graph_1' };

function type(element: HTMLInputElement, value: string) {
  element.value = value;
  element.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('DeclarativePanel', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  it('renders markdown with HTML escaped', () => {
    const call = vi.fn();
    component = mount(DeclarativePanel, {
      target: document.body,
      props: { panel: panel({ kind: 'markdown', content: '## Setup\n\nPaste the **API token**. <img src=x onerror="alert(1)">' }), context, call },
    });

    const body = document.querySelector('.markdown')!;
    expect(body.querySelector('h4')?.textContent).toBe('Setup');
    expect(body.querySelector('strong')?.textContent).toBe('API token');
    expect(body.querySelector('img')).toBeNull();
    expect(body.textContent).toContain('<img src=x onerror="alert(1)">');
    expect(call).not.toHaveBeenCalled();
  });

  it('submits a form to the extension route', async () => {
    const call = vi.fn(async () => ({ id: 'contact_7', status: 'created' }));
    component = mount(DeclarativePanel, {
      target: document.body,
      props: {
        panel: panel({
          kind: 'form',
          fields: { type: 'object', properties: { email: { type: 'string', title: 'Email', pattern: '@' }, score: { type: 'integer', title: 'Score', minimum: 0 } }, required: ['email'] },
          submit: { method: 'POST', route: 'graphs/{graphId}/contacts' },
          submitLabel: 'Add contact',
        }),
        context,
        call,
      },
    });
    type(document.querySelector<HTMLInputElement>('input[id$="-email"]')!, 'ada@example.com');
    type(document.querySelector<HTMLInputElement>('input[id$="-score"]')!, '7');
    flushSync();

    document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(call).toHaveBeenCalled());
    flushSync();

    expect(call).toHaveBeenCalledWith('POST', '/api/ext/acme.crm/graphs/graph_1/contacts', { email: 'ada@example.com', score: 7 });
    expect(document.querySelector('button[type="submit"]')?.textContent).toBe('Add contact');
    await vi.waitFor(() => expect(document.querySelector('.response')?.textContent).toContain('contact_7'));
  });

  it('shows form errors before sending', () => {
    const call = vi.fn();
    component = mount(DeclarativePanel, {
      target: document.body,
      props: { panel: panel({ kind: 'form', fields: { type: 'object', properties: { email: { type: 'string', title: 'Email' } }, required: ['email'] }, submit: { route: 'contacts' } }), context, call },
    });

    document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    flushSync();

    expect(call).not.toHaveBeenCalled();
    expect(document.querySelector('.field-errors')?.textContent).toBe('Email is required.');
  });

  it('shows route problems next to form fields', async () => {
    const call = vi.fn(async () => {
      throw new ApiError({ type: 'about:blank', title: 'Invalid', status: 422, code: 'validation_failed', detail: 'The contact is invalid.', errors: [{ path: 'body.email', message: 'already in the CRM' }] });
    });
    component = mount(DeclarativePanel, {
      target: document.body,
      props: { panel: panel({ kind: 'form', fields: { type: 'object', properties: { email: { type: 'string', title: 'Email' } } }, submit: { route: 'contacts' } }), context, call },
    });
    type(document.querySelector<HTMLInputElement>('input[id$="-email"]')!, 'ada@example.com');
    flushSync();

    document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(document.querySelector('.field-errors')).not.toBeNull());

    expect(document.querySelector('.field-errors')?.textContent).toBe('already in the CRM');
    expect(document.querySelector('[role="alert"]')?.textContent).toContain('The contact is invalid.');
  });

  it('loads table rows from a route', async () => {
    const call = vi.fn(async () => ({ items: [{ name: 'Ada', email: 'ada@example.com', tags: ['vip'] }, { name: 'Grace', email: 'grace@example.com' }], nextCursor: null }));
    component = mount(DeclarativePanel, {
      target: document.body,
      props: { panel: panel({ kind: 'table', columns: [{ key: 'name', label: 'Name' }, { key: 'email', label: 'Email' }, 'tags'], source: { route: 'contacts', itemsPath: 'items' } }), context, call },
    });

    await vi.waitFor(() => expect(document.querySelectorAll('tbody tr')).toHaveLength(2));

    expect(call).toHaveBeenCalledWith('GET', '/api/ext/acme.crm/contacts');
    expect([...document.querySelectorAll('thead th')].map((cell) => cell.textContent)).toEqual(['Name', 'Email', 'tags']);
    expect([...document.querySelectorAll('tbody tr:first-child td')].map((cell) => cell.textContent)).toEqual(['Ada', 'ada@example.com', '["vip"]']);
  });

  it('shows a failed table load with retry', async () => {
    const call = vi.fn(async () => {
      throw new ApiError({ type: 'about:blank', title: 'Error', status: 502, code: 'extension_failed', detail: 'Extension acme.crm failed: upstream timed out.' });
    });
    component = mount(DeclarativePanel, {
      target: document.body,
      props: { panel: panel({ kind: 'table', columns: ['name'], source: { route: 'contacts' } }), context, call },
    });

    await vi.waitFor(() => expect(document.querySelector('[role="alert"]')?.textContent).toContain('upstream timed out'));

    const retry = [...document.querySelectorAll('button')].find((button) => button.textContent === 'Retry');
    expect(retry).toBeDefined();
    retry!.click();
    await vi.waitFor(() => expect(call).toHaveBeenCalledTimes(2));
  });

  it('draws a bar chart of inline rows', () => {
    component = mount(DeclarativePanel, {
      target: document.body,
      props: {
        panel: panel({ kind: 'chart', chart: 'bar', x: 'day', y: 'runs', rows: [{ day: 'Mon', runs: 4 }, { day: 'Tue', runs: 0 }, { day: 'Wed', runs: 10 }, { day: 'Thu', runs: 'n/a' }] }, 'Runs per day'),
        context,
        call: vi.fn(),
      },
    });

    const bars = [...document.querySelectorAll('rect.bar')];
    expect(bars).toHaveLength(3);
    const heights = bars.map((bar) => Number(bar.getAttribute('height')));
    expect(heights[2]).toBeGreaterThan(heights[0]!);
    expect(heights[1]).toBe(0);
    expect(document.querySelector('svg')?.getAttribute('aria-label')).toBe('Bar chart: Runs per day');
    expect([...document.querySelectorAll('table tbody td')].map((cell) => cell.textContent)).toEqual(['Mon', '4', 'Tue', '0', 'Wed', '10']);
  });

  it('draws a line chart from a route', async () => {
    const call = vi.fn(async () => [{ hour: '10:00', tokens: 120 }, { hour: '11:00', tokens: 80 }]);
    component = mount(DeclarativePanel, {
      target: document.body,
      props: { panel: panel({ kind: 'chart', chart: 'line', x: 'hour', y: 'tokens', source: { route: 'usage' } }, 'Tokens'), context, call },
    });

    await vi.waitFor(() => expect(document.querySelectorAll('circle.dot')).toHaveLength(2));

    const points = document.querySelector('polyline')?.getAttribute('points')?.split(' ') ?? [];
    expect(points).toHaveLength(2);
    const [first, second] = points.map((point) => Number(point.split(',')[1]));
    expect(first).toBeLessThan(second!);
  });

  it('names the key of an invalid schema', () => {
    component = mount(DeclarativePanel, {
      target: document.body,
      props: { panel: panel({ kind: 'table', columns: ['a'] }), context, call: vi.fn() },
    });

    expect(document.querySelector('[role="alert"]')?.textContent).toContain("The panel 'contacts' of extension acme.crm cannot be shown: give 'rows'");
  });
});
