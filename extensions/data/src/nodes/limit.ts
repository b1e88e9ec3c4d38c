import { Parameters, type ExecuteContext, type ExecuteInput } from '../shared.js';

/** `mify.data.limit`: keeps the first or last `maxItems` items. */
export const limit = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const params: Parameters = new Parameters(input.parameters ?? {}, ctx.node.name);
    const maxItems = params.number('maxItems', { default: 1, min: 0, integer: true });
    const keep = params.string<'first' | 'last'>('keep', { default: 'first', enum: ['first', 'last'] });
    if (maxItems >= input.items.length) return { items: input.items };
    return { items: keep === 'first' ? input.items.slice(0, maxItems) : input.items.slice(input.items.length - maxItems) };
  },
};
