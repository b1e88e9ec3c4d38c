import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_RUN_FILTERS } from './run-filters';
import RunFilterForm from './RunFilterForm.svelte';

const graphs = [
  { id: 'graph_1', name: 'Greeter' },
  { id: 'graph_2', name: 'Summariser' },
];

function type(id: string, value: string) {
  const element = document.getElementById(id) as HTMLInputElement;
  element.value = value;
  element.dispatchEvent(new Event('input', { bubbles: true }));
}

function chosen(id: string): string | undefined {
  return (document.getElementById(id) as HTMLSelectElement).selectedOptions[0]?.value;
}

describe('RunFilterForm', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  // happy-dom's :checked matches no <option>, so Svelte's select binding cannot read a changed
  // choice here; the graph and status selects start from the filters, and the end-to-end
  // suite changes them in Chromium.
  it('applies the chosen filters', () => {
    const onapply = vi.fn();
    component = mount(RunFilterForm, { target: document.body, props: { filters: { ...EMPTY_RUN_FILTERS, graphId: 'graph_2', status: 'failed' }, graphs, onapply } });
    flushSync();
    type('run-filter-since', '2025-03-01');
    type('run-filter-until', '2025-03-02');
    flushSync();

    document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));

    expect(onapply).toHaveBeenCalledWith({ graphId: 'graph_2', status: 'failed', sinceDay: '2025-03-01', untilDay: '2025-03-02' });
  });

  it('starts from the current filters', () => {
    component = mount(RunFilterForm, { target: document.body, props: { filters: { ...EMPTY_RUN_FILTERS, graphId: 'graph_1', status: 'succeeded' }, graphs, onapply: vi.fn() } });
    flushSync();

    expect(chosen('run-filter-graph')).toBe('graph_1');
    expect(chosen('run-filter-status')).toBe('succeeded');
  });

  it('offers a graph id not in the list', () => {
    component = mount(RunFilterForm, { target: document.body, props: { filters: { ...EMPTY_RUN_FILTERS, graphId: 'graph_old' }, graphs, onapply: vi.fn() } });

    expect([...document.querySelectorAll('#run-filter-graph option')].map((option) => option.getAttribute('value'))).toContain('graph_old');
  });

  it('shows filter errors at their inputs', () => {
    component = mount(RunFilterForm, {
      target: document.body,
      props: { filters: { ...EMPTY_RUN_FILTERS, untilDay: '2025-01-01', sinceDay: '2025-02-01' }, graphs, errors: { untilDay: 'The last day is before the first day.' }, onapply: vi.fn() },
    });

    const until = document.getElementById('run-filter-until')!;
    expect(until.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(until.getAttribute('aria-describedby')!)?.textContent).toBe('The last day is before the first day.');
  });

  it('clears every filter', () => {
    const onapply = vi.fn();
    component = mount(RunFilterForm, { target: document.body, props: { filters: { ...EMPTY_RUN_FILTERS, status: 'failed' }, graphs, onapply } });

    [...document.querySelectorAll('button')].find((button) => button.textContent === 'Clear')!.click();

    expect(onapply).toHaveBeenCalledWith(EMPTY_RUN_FILTERS);
  });
});
