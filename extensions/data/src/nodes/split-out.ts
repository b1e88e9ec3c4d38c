import { cloneJson, deletePath, describeValue, getPath, ItemError, Parameters, parametersPerItem, parsePath, setPath, type ExecuteContext, type ExecuteInput, type Item } from '../shared.js';

/** Largest number of items one split may produce, to bound the output of a huge array. */
export const MAX_SPLIT_ITEMS = 100_000;

/** `mify.data.split-out`: emits one item per element of an array field. */
export const splitOut = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const perItem = parametersPerItem(input);
    const items: Item[] = [];
    input.items.forEach((item, itemIndex) => {
      const params: Parameters = new Parameters(perItem[itemIndex]!, ctx.node.name);
      const fieldText = params.string('field');
      const field = parsePath(fieldText);
      if (field === null) params.fail('field', `is ${describeValue(fieldText)}, which is not a field path`, 'Use a dot path such as lines or order.lines.');
      const lastSegment = String(field[field.length - 1]);
      const outputText = params.string('outputField', { default: lastSegment });
      const output = parsePath(outputText);
      if (output === null) params.fail('outputField', `is ${describeValue(outputText)}, which is not a field path`, 'Use a field name such as line.');
      const keepOtherFields = params.boolean('keepOtherFields', true);
      const mergeObjects = params.boolean('mergeObjects', false);
      const indexText = params.optionalString('indexField');
      const indexPath = indexText === undefined ? null : parsePath(indexText);
      if (indexText !== undefined && indexPath === null) params.fail('indexField', `is ${describeValue(indexText)}, which is not a field path`, 'Use a field name such as position.');
      const onMissing = params.string<'drop' | 'keep' | 'error'>('onMissing', { default: 'drop', enum: ['drop', 'keep', 'error'] });

      const value = getPath(item.json, field);
      if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
        if (onMissing === 'keep') items.push(item);
        if (onMissing === 'error') throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} has no elements in field "${fieldText}". Check the field path, or set "onMissing" to "drop" or "keep".`);
        return;
      }
      if (!Array.isArray(value)) {
        throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} has ${describeValue(value)} in field "${fieldText}", which is not an array. Point "field" at an array, or parse a JSON text first with the JSON node.`);
      }
      if (items.length + value.length > MAX_SPLIT_ITEMS) {
        throw new ItemError(`Node '${ctx.node.name}': splitting field "${fieldText}" would produce more than ${MAX_SPLIT_ITEMS} items. Limit the input first.`);
      }

      const base: Record<string, unknown> = {};
      if (keepOtherFields) {
        Object.assign(base, cloneJson(item.json));
        deletePath(base, field);
      }
      value.forEach((element, index) => {
        const json = cloneJson(base);
        if (mergeObjects && typeof element === 'object' && element !== null && !Array.isArray(element)) Object.assign(json, cloneJson(element));
        else setPath(json, output, cloneJson(element));
        if (indexPath !== null) setPath(json, indexPath, index);
        items.push(item.binary === undefined ? { json } : { json, binary: item.binary });
      });
    });
    return { items };
  },
};
