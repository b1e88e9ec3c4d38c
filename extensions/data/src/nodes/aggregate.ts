import { describeValue, getPath, ItemError, Parameters, parsePath, setPath, type ExecuteContext, type ExecuteInput, type Item, type PathSegment } from '../shared.js';

export const AGGREGATIONS = ['count', 'countDistinct', 'sum', 'avg', 'min', 'max', 'collect', 'first', 'last'] as const;
type Operation = (typeof AGGREGATIONS)[number];

interface Aggregation {
  operation: Operation;
  field: PathSegment[] | null;
  fieldText: string;
  output: PathSegment[];
  path: string;
}

function readAggregation(params: Parameters): Aggregation {
  const operation = params.string<Operation>('operation', { enum: AGGREGATIONS });
  const fieldText = params.optionalString('field');
  const field = fieldText === undefined ? null : parsePath(fieldText);
  if (fieldText !== undefined && field === null) params.fail('field', `is ${describeValue(fieldText)}, which is not a field path`, 'Use a dot path such as amount or line.price.');
  if (field === null && operation !== 'count') params.fail('field', 'is missing', `The operation "${operation}" needs the field to aggregate, such as amount.`);
  const outputText = params.string('outputField', { default: field === null ? 'count' : `${operation}_${fieldText!.replace(/[.[\]]+/g, '_').replace(/_$/, '')}` });
  const output = parsePath(outputText);
  if (output === null) params.fail('outputField', `is ${describeValue(outputText)}, which is not a field path`, 'Use a field name such as total.');
  return { operation, field, fieldText: fieldText ?? '', output, path: params.path };
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function aggregate(aggregation: Aggregation, members: Array<{ item: Item; index: number }>, nodeName: string): unknown {
  if (aggregation.field === null) return members.length;
  const entries = members.map(({ item, index }) => ({ value: getPath(item.json, aggregation.field!), index }));
  const present = entries.filter((entry) => entry.value !== undefined && entry.value !== null);

  switch (aggregation.operation) {
    case 'count':
      return present.length;
    case 'countDistinct':
      return new Set(present.map((entry) => JSON.stringify(entry.value))).size;
    case 'collect':
      return present.map((entry) => entry.value);
    case 'first':
      return present[0]?.value ?? null;
    case 'last':
      return present[present.length - 1]?.value ?? null;
    case 'sum':
    case 'avg': {
      let total = 0;
      for (const entry of present) {
        const number = numeric(entry.value);
        if (number === undefined) {
          throw new ItemError(`Node '${nodeName}': item ${entry.index} has ${describeValue(entry.value)} in field "${aggregation.fieldText}", which is not a number (aggregation "${aggregation.path}"). Convert the field to a number first, or use "count" or "collect".`);
        }
        total += number;
      }
      if (aggregation.operation === 'sum') return total;
      return present.length === 0 ? null : total / present.length;
    }
    case 'min':
    case 'max': {
      if (present.length === 0) return null;
      const numbers = present.map((entry) => numeric(entry.value));
      const sign = aggregation.operation === 'min' ? -1 : 1;
      if (numbers.every((number) => number !== undefined)) return (sign < 0 ? Math.min : Math.max)(...(numbers as number[]));
      // Mixed or text values compare as text, which orders ISO 8601 dates correctly.
      const texts = present.map((entry) => (typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value)));
      let best = texts[0]!;
      for (const text of texts) {
        if (sign < 0 && text < best) best = text;
        if (sign > 0 && text > best) best = text;
      }
      return best;
    }
  }
}

/**
 * `mify.data.aggregate`: groups items by the values of `groupBy` fields (or all items as one
 * group) and emits one item per group with the group's key fields and the aggregations.
 */
export const aggregateNode = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const params: Parameters = new Parameters(input.parameters ?? {}, ctx.node.name);
    const groupBy = params.stringList('groupBy', { default: [] }).map((text, index) => {
      const path = parsePath(text);
      if (path === null) params.fail(`groupBy[${index}]` as string, `is ${describeValue(text)}, which is not a field path`, 'Use a dot path such as customer.id.');
      return path;
    });
    const aggregations = params.objects('aggregations', { default: [{ operation: 'count' }], maxItems: 50 }).map(readAggregation);
    const effective = aggregations.length > 0 ? aggregations : [readAggregation(new Parameters({ operation: 'count' }, ctx.node.name, 'aggregations[0]'))];

    const groups = new Map<string, { key: unknown[]; members: Array<{ item: Item; index: number }> }>();
    input.items.forEach((item, index) => {
      const key = groupBy.map((path) => getPath(item.json, path) ?? null);
      const id = JSON.stringify(key);
      const group = groups.get(id);
      if (group) group.members.push({ item, index });
      else groups.set(id, { key, members: [{ item, index }] });
    });

    const items: Item[] = [];
    for (const group of groups.values()) {
      const json: Record<string, unknown> = {};
      groupBy.forEach((path, index) => setPath(json, path, group.key[index]));
      for (const aggregation of effective) setPath(json, aggregation.output, aggregate(aggregation, group.members, ctx.node.name));
      items.push({ json });
    }
    return { items };
  },
};
