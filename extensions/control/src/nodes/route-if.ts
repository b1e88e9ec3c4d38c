import { groupsPerItem, matchesGroup } from '../shared/conditions.js';
import type { ExecuteContext, ExecuteInput, Item } from '../shared/items.js';
import { parametersPerItem } from '../shared/parameters.js';

/** `mify.control.route-if`: sends each item to `true` or `false` by a condition group. */
export const routeIf = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const groups = groupsPerItem(parametersPerItem(input), ctx.node.name);
    const out: { true: Item[]; false: Item[] } = { true: [], false: [] };
    input.items.forEach((item, index) => {
      (matchesGroup(groups[index]!, item.json, index) ? out.true : out.false).push(item);
    });
    return out;
  },
};
