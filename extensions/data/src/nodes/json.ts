import { describeValue, getPath, hasPath, ItemError, Parameters, parametersPerItem, parsePath, setPath, type ExecuteContext, type ExecuteInput, type Item } from '../shared.js';

/** Maximum indentation of stringified JSON, in spaces. */
export const MAX_INDENT = 8;

/**
 * `mify.data.json`: parses a JSON text field into data, or writes a field (or the whole item)
 * as JSON text.
 */
export const json = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const perItem = parametersPerItem(input);
    const items: Item[] = [];
    input.items.forEach((item, itemIndex) => {
      const params: Parameters = new Parameters(perItem[itemIndex]!, ctx.node.name);
      const operation = params.string<'parse' | 'stringify'>('operation', { enum: ['parse', 'stringify'] });
      const onError = params.string<'fail' | 'skip' | 'keep'>('onError', { default: 'fail', enum: ['fail', 'skip', 'keep'] });
      const fieldText = params.optionalString('field');
      const field = fieldText === undefined ? null : parsePath(fieldText);
      if (fieldText !== undefined && field === null) params.fail('field', `is ${describeValue(fieldText)}, which is not a field path`, 'Use a dot path such as body or response.data.');
      if (operation === 'parse' && field === null) params.fail('field', 'is missing', 'Name the field that contains the JSON text, such as body.');
      const outputText = params.string('outputField', { default: fieldText ?? 'json' });
      const output = parsePath(outputText);
      if (output === null) params.fail('outputField', `is ${describeValue(outputText)}, which is not a field path`, 'Use a field name such as data.');

      const out = { ...item.json };
      if (operation === 'stringify') {
        const indent = params.number('indent', { default: 0, min: 0, max: MAX_INDENT, integer: true });
        const value = field === null ? item.json : getPath(item.json, field);
        setPath(out, output, JSON.stringify(value ?? null, null, indent));
        items.push({ ...item, json: out });
        return;
      }

      const text = hasPath(item.json, field!) ? getPath(item.json, field!) : undefined;
      try {
        if (typeof text !== 'string') throw new Error(`the field contains ${describeValue(text)}, which is not a string`);
        setPath(out, output, JSON.parse(text));
        items.push({ ...item, json: out });
      } catch (error) {
        if (onError === 'skip') return;
        if (onError === 'keep') {
          setPath(out, ['jsonError'], `${(error as Error).message}`);
          items.push({ ...item, json: out });
          return;
        }
        throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex}: field "${fieldText}" is not valid JSON (${(error as Error).message}). Fix the source, or set "onError" to "skip" or "keep".`);
      }
    });
    return { items };
  },
};
