import { describe, expect, it } from 'vitest';
import { compareNodeOutputs, differingPaths, type NodeOutput } from './output-diff.js';

const output = (nodeName: string, json: Record<string, unknown>[]): NodeOutput => ({ nodeName, ports: { main: json.map((entry) => ({ json: entry })) }, truncated: false });

describe('differingPaths', () => {
  it('lists changed, added and removed members', () => {
    expect(differingPaths({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 2, b: { c: [1] }, e: 'y' }, 10)).toEqual(['$.a', '$.b.c[1]', '$.d', '$.e']);
  });

  it('stops at the limit', () => {
    expect(differingPaths({ a: 1, b: 1, c: 1 }, { a: 2, b: 2, c: 2 }, 2)).toEqual(['$.a', '$.b']);
  });

  it('returns nothing for equal values with other key order', () => {
    expect(differingPaths({ a: 1, b: [{ x: 1, y: 2 }] }, { b: [{ y: 2, x: 1 }], a: 1 }, 10)).toEqual([]);
  });
});

describe('compareNodeOutputs', () => {
  it('classifies same, changed, missing and added nodes', () => {
    const baseline = { a: output('A', [{ n: 1 }]), b: output('B', [{ n: 1 }]), gone: output('Gone', []) };
    const current = { a: output('A', [{ n: 1 }]), b: output('B', [{ n: 2 }]), fresh: output('Fresh', []) };

    expect(compareNodeOutputs(baseline, current)).toEqual([
      { nodeId: 'a', nodeName: 'A', status: 'same' },
      { nodeId: 'b', nodeName: 'B', status: 'changed', changedPaths: ['$.main[0].json.n'] },
      { nodeId: 'gone', nodeName: 'Gone', status: 'missing' },
      { nodeId: 'fresh', nodeName: 'Fresh', status: 'added' },
    ]);
  });

  it('marks comparisons of previews', () => {
    const preview = { ...output('A', [{ n: 1 }]), truncated: true };

    expect(compareNodeOutputs({ a: preview }, { a: output('A', [{ n: 1 }]) })[0]).toEqual({ nodeId: 'a', nodeName: 'A', status: 'same', truncated: true });
  });
});
