/** A binary min-heap ordered by a numeric key. */
export class MinHeap<T> {
  private readonly entries: T[] = [];

  constructor(private readonly key: (value: T) => number) {}

  get size(): number {
    return this.entries.length;
  }

  push(value: T): void {
    const entries = this.entries;
    entries.push(value);
    let index = entries.length - 1;
    const valueKey = this.key(value);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.key(entries[parent]!) <= valueKey) break;
      entries[index] = entries[parent]!;
      index = parent;
    }
    entries[index] = value;
  }

  /** Removes and returns the entry with the smallest key, or undefined when empty. */
  pop(): T | undefined {
    const entries = this.entries;
    const top = entries[0];
    const last = entries.pop();
    if (entries.length === 0 || last === undefined) return top;

    const lastKey = this.key(last);
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= entries.length) break;
      const right = left + 1;
      const child = right < entries.length && this.key(entries[right]!) < this.key(entries[left]!) ? right : left;
      if (this.key(entries[child]!) >= lastKey) break;
      entries[index] = entries[child]!;
      index = child;
    }
    entries[index] = last;
    return top;
  }
}
