import { describe, expect, it } from 'vitest';
import { allOutputItems, applyRunEvent, errorMessage, itemsByNode, statesFromCanvasResult, statesFromRun } from './run-state';
import type { RunStep } from './types';

function step(fields: Partial<RunStep> & Pick<RunStep, 'nodeId' | 'seq' | 'status'>): RunStep {
  return {
    id: `step_${fields.seq}`,
    nodeName: fields.nodeId,
    nodeType: 't',
    activation: 1,
    attempt: 1,
    pinned: false,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: null,
    durationMs: null,
    input: null,
    output: null,
    outputItemCount: null,
    oversized: false,
    error: null,
    ...fields,
  };
}

describe('applyRunEvent', () => {
  it('marks a started step running', () => {
    const states = applyRunEvent({}, { id: 2, type: 'step.started', data: { nodeId: 'a' } });
    expect(states).toEqual({ a: { status: 'running', itemCount: null, error: null } });
  });

  it('records item counts and errors', () => {
    let states = applyRunEvent({}, { id: 3, type: 'step.succeeded', data: { nodeId: 'a', outputItemCount: 4 } });
    states = applyRunEvent(states, { id: 4, type: 'step.failed', data: { nodeId: 'b', error: { message: 'boom', code: 'x' } } });
    expect(states.a).toEqual({ status: 'succeeded', itemCount: 4, error: null });
    expect(states.b).toEqual({ status: 'failed', itemCount: null, error: 'boom' });
  });

  it('shows a pinned step as pinned', () => {
    const states = applyRunEvent({}, { id: 3, type: 'step.succeeded', data: { nodeId: 'a', pinned: true, outputItemCount: 1 } });
    expect(states.a!.status).toBe('pinned');
  });

  it('ignores run events', () => {
    const states = {};
    expect(applyRunEvent(states, { id: 1, type: 'run.started', data: { runId: 'r' } })).toBe(states);
    expect(applyRunEvent(states, { id: 9, type: 'step.progress', data: { nodeId: 'a', delta: 'x' } })).toBe(states);
  });
});

describe('states from results', () => {
  it('converts canvas results', () => {
    const states = statesFromCanvasResult({
      nodes: [
        { nodeId: 'a', nodeName: 'A', status: 'ran', dirty: true, oversized: false, cached: true, contentKey: 'k', notCacheable: null, itemCount: 2, error: null },
        { nodeId: 'b', nodeName: 'B', status: 'reused', dirty: false, oversized: false, cached: false, contentKey: 'k', notCacheable: null, itemCount: 1, error: null },
      ],
    });
    expect(states).toEqual({ a: { status: 'succeeded', itemCount: 2, error: null }, b: { status: 'reused', itemCount: 1, error: null } });
  });

  it('takes the last attempt of each node', () => {
    const states = statesFromRun({
      steps: [step({ nodeId: 'a', seq: 2, status: 'succeeded', outputItemCount: 3 }), step({ nodeId: 'a', seq: 1, status: 'failed' }), step({ nodeId: 'b', seq: 3, status: 'interrupted' })],
    });
    expect(states.a).toEqual({ status: 'succeeded', itemCount: 3, error: null });
    expect(states.b!.status).toBe('failed');
  });
});

describe('itemsByNode', () => {
  it('collects input and output ports', () => {
    const items = itemsByNode({
      steps: [
        step({
          nodeId: 'if',
          seq: 1,
          status: 'succeeded',
          input: { ports: { main: [{ json: { n: 1 } }, { json: { n: 2 } }] } },
          output: { ports: { true: [{ json: { n: 1 } }], false: [{ json: { n: 2 } }] }, truncated: true },
        }),
      ],
    });
    const entry = items.get('if')!;

    expect(entry.input).toHaveLength(2);
    expect(Object.keys(entry.output)).toEqual(['true', 'false']);
    expect(entry.truncated).toBe(true);
    expect(allOutputItems(entry)).toEqual([{ json: { n: 1 } }, { json: { n: 2 } }]);
  });

  it('returns no items for a node that did not run', () => {
    expect(allOutputItems(undefined)).toEqual([]);
  });
});

describe('errorMessage', () => {
  it('reads messages of several shapes', () => {
    expect(errorMessage(null)).toBeNull();
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage({ message: 'boom' })).toBe('boom');
    expect(errorMessage({ code: 1 })).toBe('{"code":1}');
  });
});
