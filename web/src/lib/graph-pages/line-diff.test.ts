import { describe, expect, it } from 'vitest';
import { collapseUnchanged, countChangedLines, diffTextLines, prettyJson } from './line-diff';

describe('diffTextLines', () => {
  it('numbers lines on both sides', () => {
    const lines = diffTextLines('a\nb\nc\n', 'a\nB\nc\n');

    expect(lines).toEqual([
      { kind: 'unchanged', text: 'a', oldNumber: 1, newNumber: 1 },
      { kind: 'removed', text: 'b', oldNumber: 2, newNumber: null },
      { kind: 'added', text: 'B', oldNumber: null, newNumber: 2 },
      { kind: 'unchanged', text: 'c', oldNumber: 3, newNumber: 3 },
    ]);
  });

  it('finds a changed parameter in pretty JSON', () => {
    const before = { nodes: [{ id: 'set', parameters: { value: 'v1', keep: true } }] };
    const after = { nodes: [{ id: 'set', parameters: { value: 'v2', keep: true } }] };

    const lines = diffTextLines(prettyJson(before), prettyJson(after));

    expect(lines.filter((line) => line.kind === 'removed').map((line) => line.text.trim())).toEqual(['"value": "v1",']);
    expect(lines.filter((line) => line.kind === 'added').map((line) => line.text.trim())).toEqual(['"value": "v2",']);
    expect(countChangedLines(lines)).toEqual({ added: 1, removed: 1 });
  });

  it('returns only unchanged lines for equal texts', () => {
    const lines = diffTextLines('x\ny\n', 'x\ny\n');

    expect(lines.every((line) => line.kind === 'unchanged')).toBe(true);
    expect(lines).toHaveLength(2);
  });

  it('handles a missing final newline', () => {
    const lines = diffTextLines('a\nb', 'a\nb\nc');

    expect(lines.filter((line) => line.kind === 'added').map((line) => line.text)).toContain('c');
    expect(lines.at(-1)).toMatchObject({ kind: 'added', text: 'c', newNumber: 3 });
  });
});

describe('collapseUnchanged', () => {
  const text = (count: number, changeAt: number, value: string) =>
    Array.from({ length: count }, (_, index) => (index === changeAt ? value : `line ${index + 1}`)).join('\n') + '\n';

  it('keeps three lines of context', () => {
    const lines = diffTextLines(text(20, 10, 'old'), text(20, 10, 'new'));

    const rows = collapseUnchanged(lines);

    expect(rows[0]).toEqual({ kind: 'collapsed', count: 7 });
    expect(rows.filter((row) => row.kind === 'unchanged')).toHaveLength(6);
    expect(rows.at(-1)).toEqual({ kind: 'collapsed', count: 6 });
  });

  it('keeps a short gap between changes', () => {
    const before = 'a\nb\nc\nd\ne\nf\n';
    const after = 'A\nb\nc\nd\ne\nF\n';

    const rows = collapseUnchanged(diffTextLines(before, after));

    expect(rows.some((row) => row.kind === 'collapsed')).toBe(false);
  });

  it('collapses everything when nothing changed', () => {
    const rows = collapseUnchanged(diffTextLines('a\nb\n', 'a\nb\n'));

    expect(rows).toEqual([{ kind: 'collapsed', count: 2 }]);
  });
});
