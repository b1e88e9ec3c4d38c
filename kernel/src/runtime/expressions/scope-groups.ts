import type { Item } from '../../graphs/model.js';
import type { ExpressionScope } from '../types.js';

/**
 * Numbers the scope parts that items of one call share, by object identity, so that each
 * reaches the sandbox at most once per call. `{ vars, run, now }` becomes a context. Input
 * items and node outputs become groups, which the sandbox fetches on demand.
 */
export class ScopeGroups {
  readonly inputGroups: Item[][] = [];
  readonly nodeGroups: Array<Record<string, Item[]>> = [];
  readonly #contexts: Array<{ vars: unknown; run: unknown; now: string }> = [];
  readonly #inputIds = new Map<Item[], number>();
  readonly #nodeIds = new Map<Record<string, Item[]>, number>();
  readonly #contextIds = new Map<unknown, Map<unknown, Map<string, number>>>();
  #lastContext: { vars: unknown; run: unknown; now: string; id: number } | undefined;

  /**
   * Returns the JSON the sandbox receives for one item. Throws a TypeError when the item's
   * `json` cannot be converted to JSON, e.g. because it contains a BigInt.
   */
  itemJson(scope: ExpressionScope): string {
    const context = this.#contextId(scope);
    const input = numberOf(this.#inputIds, this.inputGroups, scope.inputItems);
    const nodes = numberOf(this.#nodeIds, this.nodeGroups, scope.nodeOutputs);
    return `[${context},${input},${nodes},${scope.itemIndex},${JSON.stringify(scope.json) ?? 'null'}]`;
  }

  contextsJson(): string {
    return JSON.stringify(this.#contexts);
  }

  #contextId(scope: ExpressionScope): number {
    // Items of one node nearly always share all three, so check the previous item's first.
    const last = this.#lastContext;
    if (last !== undefined && last.vars === scope.vars && last.run === scope.run && last.now === scope.now) return last.id;

    let byRun = this.#contextIds.get(scope.vars);
    if (byRun === undefined) {
      byRun = new Map();
      this.#contextIds.set(scope.vars, byRun);
    }
    let byNow = byRun.get(scope.run);
    if (byNow === undefined) {
      byNow = new Map();
      byRun.set(scope.run, byNow);
    }
    let id = byNow.get(scope.now);
    if (id === undefined) {
      id = this.#contexts.length;
      this.#contexts.push({ vars: scope.vars, run: scope.run, now: scope.now });
      byNow.set(scope.now, id);
    }
    this.#lastContext = { vars: scope.vars, run: scope.run, now: scope.now, id };
    return id;
  }
}

function numberOf<T>(ids: Map<T, number>, list: T[], value: T): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = list.length;
    list.push(value);
    ids.set(value, id);
  }
  return id;
}
