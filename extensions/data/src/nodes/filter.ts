import { groupsPerItem, matchesGroup, parametersPerItem, type ExecuteContext, type ExecuteInput, type Item } from '../shared.js';

/** `mify.data.filter`: keeps the items that match a condition group; the others leave on `discarded`. */
export const filter = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const groups = groupsPerItem(parametersPerItem(input), ctx.node.name);
    const out: { main: Item[]; discarded: Item[] } = { main: [], discarded: [] };
    input.items.forEach((item, index) => (matchesGroup(groups[index]!, item.json, index) ? out.main : out.discarded).push(item));
    return out;
  },
};
