/**
 * Undo and redo over whole states of the graph. Each `record` pushes the
 * state before a change, and `undo` and `redo` move between states. A
 * recording after an undo drops the states that were undone.
 *
 * @example
 * const history = new History<Snapshot>({ maxEntries: 100 });
 * history.record(before);           // then apply the change
 * const previous = history.undo(current);
 */
export class History<State> {
  private past: State[] = [];
  private future: State[] = [];
  private readonly maxEntries: number;

  /** `maxEntries`: undo steps kept; the oldest state is dropped past it. */
  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 100;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${String(options.maxEntries)}.`);
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Stores the state before a change and drops the states that were undone. */
  record(before: State): void {
    this.past.push(before);
    if (this.past.length > this.maxEntries) this.past.shift();
    this.future = [];
  }

  /** Returns the state before the last change and keeps `current` for redo, or null when there is nothing to undo. */
  undo(current: State): State | null {
    const previous = this.past.pop();
    if (previous === undefined) return null;
    this.future.push(current);
    return previous;
  }

  /** Returns the state that the last undo left, keeping `current` for undo, or null when there is nothing to redo. */
  redo(current: State): State | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push(current);
    return next;
  }

  clear(): void {
    this.past = [];
    this.future = [];
  }
}
