/**
 * A map that keeps at most `maxEntries` entries and drops the least recently used one first.
 * It relies on `Map` iterating in insertion order. A hit is moved to the end by deleting and
 * re-inserting it, so the first key is always the least recently used.
 */
export class LruMap<K, V> {
  readonly maxEntries: number;
  readonly #entries = new Map<K, V>();

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`LruMap needs a positive integer maxEntries, got ${String(maxEntries)}.`);
    }
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns the value and marks the entry as the most recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;

    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /**
   * Inserts or replaces an entry as the most recently used, and returns the entries dropped
   * to stay within `maxEntries`. Entries whose key is in `keep` are never dropped, so the set
   * may stay above its limit until a later call.
   */
  set(key: K, value: V, keep?: ReadonlySet<K>): Array<[K, V]> {
    this.#entries.delete(key);
    this.#entries.set(key, value);

    const dropped: Array<[K, V]> = [];
    if (this.#entries.size <= this.maxEntries) return dropped;

    for (const [oldKey, oldValue] of this.#entries) {
      if (this.#entries.size - dropped.length <= this.maxEntries) break;
      if (oldKey === key || keep?.has(oldKey)) continue;
      dropped.push([oldKey, oldValue]);
    }
    for (const [oldKey] of dropped) this.#entries.delete(oldKey);
    return dropped;
  }

  clear(): void {
    this.#entries.clear();
  }
}
