import type { ExecuteContext, ExecuteInput, Item } from '../shared/items.js';
import { ParameterError, Parameters } from '../shared/parameters.js';

/** Largest batch the loop hands its body at once. */
export const MAX_BATCH_SIZE = 10_000;

/** Loop state between activations, stored by the kernel in the run journal. */
interface LoopState {
  /** Items not yet handed to the body. */
  pending: Item[];
  /** Items that came back from the body, over all iterations so far. */
  results: Item[];
  /** Input items already handed to the body, for `doneOutput: "inputs"`. */
  handed: Item[];
  batchSize: number;
  doneOutput: 'results' | 'inputs';
  batches: number;
}

function isLoopState(value: unknown): value is LoopState {
  return typeof value === 'object' && value !== null && Array.isArray((value as LoopState).pending) && Array.isArray((value as LoopState).results);
}

/**
 * `mify.control.loop-map`: a loop node. At its first activation it takes the input items and
 * sends the first batch on `loop`. Each time the body's results come back through the back
 * edge, it keeps them and sends the next batch. When no items are left it emits on `done`
 * the results of every batch (or the input items), in order, and the loop ends.
 */
export const loopMap = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    let state: LoopState;
    if (input.state === undefined) {
      const params = new Parameters(input.parameters ?? {}, ctx.node.name);
      state = {
        pending: input.items,
        results: [],
        handed: [],
        batchSize: params.number('batchSize', { default: 1, min: 1, max: MAX_BATCH_SIZE, integer: true }),
        doneOutput: params.string<'results' | 'inputs'>('doneOutput', { default: 'results', enum: ['results', 'inputs'] }),
        batches: 0,
      };
    } else {
      if (!isLoopState(input.state)) throw new ParameterError(`Node '${ctx.node.name}': the loop state from the previous iteration is not one this node wrote. Connect only the loop body's last node back to this node's input.`);
      state = { ...input.state, results: input.state.results.concat(input.items) };
    }

    if (state.pending.length === 0) {
      ctx.log.debug('loop finished', { batches: state.batches, results: state.results.length });
      return { done: state.doneOutput === 'results' ? state.results : state.handed, state };
    }

    const batch = state.pending.slice(0, state.batchSize);
    const next: LoopState = {
      ...state,
      pending: state.pending.slice(state.batchSize),
      handed: state.doneOutput === 'inputs' ? state.handed.concat(batch) : state.handed,
      batches: state.batches + 1,
    };
    return { loop: batch, state: next };
  },
};
