import { diffLines } from 'diff';

/** One line of a unified line diff, with its number on each side (null where it does not exist). */
export interface DiffLine {
  kind: 'added' | 'removed' | 'unchanged';
  text: string;
  oldNumber: number | null;
  newNumber: number | null;
}

/** A run of unchanged lines left out of the view, standing for `count` lines. */
export interface CollapsedLines {
  kind: 'collapsed';
  count: number;
}

export type DiffRow = DiffLine | CollapsedLines;

/** Unchanged lines kept above and below each change; longer unchanged runs collapse. */
export const DIFF_CONTEXT_LINES = 3;

/** Formats a graph definition as the pretty JSON the line diff compares: two-space indent, keys in stored order. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Compares two texts line by line (the `diff` package's `diffLines`) and
 * numbers each line on both sides.
 *
 * @example
 * diffTextLines('a\nb\n', 'a\nc\n');
 * // unchanged a (1, 1), removed b (2, –), added c (–, 2)
 */
export function diffTextLines(before: string, after: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let oldNumber = 1;
  let newNumber = 1;

  for (const change of diffLines(before, after)) {
    for (const text of splitLines(change.value)) {
      if (change.added) {
        lines.push({ kind: 'added', text, oldNumber: null, newNumber: newNumber++ });
      } else if (change.removed) {
        lines.push({ kind: 'removed', text, oldNumber: oldNumber++, newNumber: null });
      } else {
        lines.push({ kind: 'unchanged', text, oldNumber: oldNumber++, newNumber: newNumber++ });
      }
    }
  }
  return lines;
}

/**
 * Keeps `context` unchanged lines around each change and replaces every
 * longer unchanged run by one collapsed row, as unified diffs do.
 */
export function collapseUnchanged(lines: DiffLine[], context = DIFF_CONTEXT_LINES): DiffRow[] {
  const keep = lines.map((line) => line.kind !== 'unchanged');
  lines.forEach((line, index) => {
    if (line.kind === 'unchanged') return;
    for (let offset = -context; offset <= context; offset += 1) {
      const neighbour = index + offset;
      if (neighbour >= 0 && neighbour < lines.length) keep[neighbour] = true;
    }
  });

  const rows: DiffRow[] = [];
  let skipped = 0;
  lines.forEach((line, index) => {
    if (keep[index]) {
      if (skipped > 0) rows.push({ kind: 'collapsed', count: skipped });
      skipped = 0;
      rows.push(line);
    } else {
      skipped += 1;
    }
  });
  if (skipped > 0) rows.push({ kind: 'collapsed', count: skipped });
  return rows;
}

/** Counts the added and removed lines. */
export function countChangedLines(lines: DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'added') added += 1;
    if (line.kind === 'removed') removed += 1;
  }
  return { added, removed };
}
