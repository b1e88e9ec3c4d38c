/** Node input and item types as the kernel passes them to `execute`. */
import type { Item } from '@mify/sdk';

export type { Item };

/** Input of `execute(ctx, input)`, as the kernel's node runner builds it. */
export interface ExecuteInput {
  items: Item[];
  ports?: Record<string, Item[]>;
  parameters?: Record<string, unknown>;
  /** Parameters resolved per item; present only when the parameters contain expressions. */
  itemParameters?: Array<Record<string, unknown>>;
  /** Loop nodes: the `state` returned at the previous activation; absent at the first. */
  state?: unknown;
  /** Loop nodes: activations since the loop was entered, from 1. */
  iteration?: number;
}

/** The part of `ctx` the nodes of this extension use. */
export interface ExecuteContext {
  node: { name: string; typeVersion: number };
  log: { debug(message: string, fields?: Record<string, unknown>): void; warn(message: string, fields?: Record<string, unknown>): void };
}
