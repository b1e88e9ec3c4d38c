import { cloneJson, deletePath, describeValue, getPath, hasPath, ItemError, Parameters, parametersPerItem, parsePath, setPath, type ExecuteContext, type ExecuteInput, type Item, type PathSegment } from '../shared.js';

const OPERATIONS = ['set', 'rename', 'remove', 'keepOnly'] as const;
const VALUE_TYPES = ['auto', 'string', 'number', 'boolean', 'json', 'null'] as const;
type ValueType = (typeof VALUE_TYPES)[number];

function readPath(params: Parameters, name: string): PathSegment[] {
  const text = params.string(name);
  const path = parsePath(text);
  if (path === null) params.fail(name, `is ${describeValue(text)}, which is not a field path`, 'Use a dot path such as customer.name or lines[0].price.');
  return path;
}

/** Converts `value` to `type`; null for a value that cannot be converted. */
function convertValue(value: unknown, type: ValueType): { ok: true; value: unknown } | { ok: false } {
  switch (type) {
    case 'auto':
      return { ok: true, value };
    case 'null':
      return { ok: true, value: null };
    case 'string':
      if (value === null || value === undefined) return { ok: true, value: '' };
      if (typeof value === 'object') return { ok: true, value: JSON.stringify(value) };
      return { ok: true, value: String(value) };
    case 'number': {
      let number = Number.NaN;
      if (typeof value === 'number' || typeof value === 'boolean') number = Number(value);
      if (typeof value === 'string' && value.trim() !== '') number = Number(value);
      return Number.isFinite(number) ? { ok: true, value: number } : { ok: false };
    }
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 'true' || value === 1 || value === '1') return { ok: true, value: true };
      if (value === 'false' || value === 0 || value === '0' || value === '') return { ok: true, value: false };
      return { ok: false };
    case 'json':
      if (typeof value !== 'string') return { ok: true, value };
      try {
        return { ok: true, value: JSON.parse(value) };
      } catch {
        return { ok: false };
      }
  }
}

function applyOperation(json: Record<string, unknown>, operation: Parameters, itemIndex: number, nodeName: string): Record<string, unknown> {
  const op = operation.string<(typeof OPERATIONS)[number]>('op', { enum: OPERATIONS });
  switch (op) {
    case 'set': {
      const path = readPath(operation, 'path');
      const type = operation.string<ValueType>('type', { default: 'auto', enum: VALUE_TYPES });
      if (!Object.hasOwn(operation.values, 'value') && type !== 'null') operation.fail('value', 'is missing', 'Set the value to write, such as "paid" or {{ $json.total * 2 }}.');
      const converted = convertValue(operation.raw('value'), type);
      if (!converted.ok) {
        throw new ItemError(`Node '${nodeName}': item ${itemIndex}: the value ${describeValue(operation.raw('value'))} for "${operation.pathOf('value')}" cannot be converted to ${type}. Change "${operation.pathOf('type')}", or fix the value or expression.`);
      }
      setPath(json, path, cloneJson(converted.value));
      return json;
    }
    case 'rename': {
      const from = readPath(operation, 'from');
      const to = readPath(operation, 'to');
      if (!hasPath(json, from)) return json;
      const value = getPath(json, from);
      deletePath(json, from);
      setPath(json, to, value);
      return json;
    }
    case 'remove': {
      deletePath(json, readPath(operation, 'path'));
      return json;
    }
    case 'keepOnly': {
      const selectedFields: Record<string, unknown> = {};
      const paths = operation.stringList('paths', { minItems: 1 });
      paths.forEach((text, index) => {
        const path = parsePath(text);
        if (path === null) operation.fail(`paths[${index}]` as string, `is ${describeValue(text)}, which is not a field path`, 'Use a dot path such as id or customer.email.');
        if (hasPath(json, path)) setPath(selectedFields, path, getPath(json, path));
      });
      return selectedFields;
    }
  }
}

/**
 * `mify.data.edit-fields`: applies a list of operations to each item in order: set a field to
 * a typed value, rename (move) a field, remove a field, or keep only some fields.
 */
export const editFields = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const perItem = parametersPerItem(input);
    const items: Item[] = input.items.map((item, itemIndex) => {
      const params: Parameters = new Parameters(perItem[itemIndex]!, ctx.node.name);
      const operations = params.objects('operations', { minItems: 1, maxItems: 200 });
      if (operations.length === 0) params.fail('operations', 'is missing', 'Add an operation such as { "op": "set", "path": "status", "value": "paid" }.');
      let json = cloneJson(item.json);
      for (const operation of operations) json = applyOperation(json, operation, itemIndex, ctx.node.name);
      return item.binary === undefined ? { json } : { json, binary: item.binary };
    });
    return { items };
  },
};
