import { describe, expect, it } from 'vitest';
import { History } from './history';

describe('History', () => {
  it('undoes and redoes in order', () => {
    const history = new History<string>();
    history.record('a');
    history.record('b');

    expect(history.undo('c')).toBe('b');
    expect(history.undo('b')).toBe('a');
    expect(history.undo('a')).toBeNull();
    expect(history.redo('a')).toBe('b');
    expect(history.redo('b')).toBe('c');
    expect(history.redo('c')).toBeNull();
  });

  it('drops redo after a new change', () => {
    const history = new History<string>();
    history.record('a');
    history.undo('b');

    history.record('a');

    expect(history.canRedo).toBe(false);
    expect(history.canUndo).toBe(true);
  });

  it('keeps at most maxEntries', () => {
    const history = new History<number>({ maxEntries: 2 });
    history.record(1);
    history.record(2);
    history.record(3);

    expect(history.undo(4)).toBe(3);
    expect(history.undo(3)).toBe(2);
    expect(history.undo(2)).toBeNull();
  });

  it('rejects an invalid limit', () => {
    expect(() => new History({ maxEntries: 0 })).toThrow('maxEntries must be a positive integer, got 0.');
  });

  it('clears both stacks', () => {
    const history = new History<string>();
    history.record('a');
    history.undo('b');
    history.clear();
    expect(history.canUndo).toBe(false);
    expect(history.canRedo).toBe(false);
  });
});
