import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type AiBuilderInput, type AiBuilderResult } from '$lib/api';
import AiBuilderDialog from './AiBuilderDialog.svelte';

function field(id: string): HTMLInputElement | HTMLTextAreaElement {
  return document.getElementById(id) as HTMLInputElement | HTMLTextAreaElement;
}

function type(id: string, value: string) {
  const element = field(id);
  element.value = value;
  element.dispatchEvent(new Event('input', { bubbles: true }));
}

function submit() {
  document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

const generated: AiBuilderResult = { graph: { nodes: [], edges: [] } as unknown as AiBuilderResult['graph'], attempts: 2, graphId: 'graph_42' };

describe('AiBuilderDialog', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    component = undefined;
    document.body.innerHTML = '';
  });

  function setup(ongenerate: (input: AiBuilderInput) => Promise<AiBuilderResult>) {
    const onopen = vi.fn();
    const props = $state({ open: true, ongenerate, onopen });
    component = mount(AiBuilderDialog, { target: document.body, props });
    flushSync();
    return { props, onopen };
  }

  it('sends the request and opens the saved graph', async () => {
    const ongenerate = vi.fn(async () => generated);
    const { props, onopen } = setup(ongenerate);
    type('ai-builder-prompt', '  Email me new orders  ');
    type('ai-builder-provider', 'openai');
    type('ai-builder-model', 'gpt-4.1-mini');
    flushSync();

    submit();
    await vi.waitFor(() => expect(onopen).toHaveBeenCalled());

    expect(ongenerate).toHaveBeenCalledWith({ prompt: 'Email me new orders', provider: 'openai', model: 'gpt-4.1-mini', save: true });
    expect(onopen).toHaveBeenCalledWith('graph_42');
    expect(props.open).toBe(false);
  });

  it('leaves out empty optional fields', async () => {
    const ongenerate = vi.fn(async () => generated);
    setup(ongenerate);
    type('ai-builder-prompt', 'Summarise tickets');
    type('ai-builder-model', 'local-model');
    flushSync();

    submit();
    await vi.waitFor(() => expect(ongenerate).toHaveBeenCalled());

    expect(ongenerate).toHaveBeenCalledWith({ prompt: 'Summarise tickets', model: 'local-model', save: true });
  });

  it('shows the validation errors of a rejected generation', async () => {
    const problem = {
      type: 'urn:mify:problem:graph_generation_failed',
      title: 'Unprocessable Content',
      status: 422,
      code: 'graph_generation_failed',
      detail: 'The model did not produce a valid graph in 3 attempts.',
      errors: [{ path: '$.nodes[0].type', message: "unknown node type 'mify.control.filter'" }],
    };
    const { props, onopen } = setup(async () => {
      throw new ApiError(problem);
    });
    type('ai-builder-prompt', 'Filter adults');
    type('ai-builder-model', 'gpt-4.1-mini');
    flushSync();

    submit();
    await vi.waitFor(() => expect(document.querySelector('[role="alert"]')).not.toBeNull());

    const alert = document.querySelector('[role="alert"]')!.textContent!;
    expect(alert).toContain('The model did not produce a valid graph in 3 attempts.');
    expect(alert).toContain("unknown node type 'mify.control.filter'");
    expect(onopen).not.toHaveBeenCalled();
    expect(props.open).toBe(true);
  });

  it('disables the button while generating', async () => {
    let finish: (result: AiBuilderResult) => void = () => {};
    setup(() => new Promise<AiBuilderResult>((resolve) => (finish = resolve)));
    type('ai-builder-prompt', 'Anything');
    type('ai-builder-model', 'm');
    flushSync();

    submit();
    flushSync();

    const button = document.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    expect(button.disabled).toBe(true);
    expect(button.textContent).toBe('Generating…');
    finish(generated);
    await vi.waitFor(() => expect(button.isConnected ? button.disabled : false).toBe(false));
  });
});
