import { describeValue, getPath, Parameters, parsePath, type ExecuteContext, type ExecuteInput, type PathSegment } from '../shared.js';

const SORT_TYPES = ['auto', 'string', 'natural', 'number', 'date'] as const;
type SortType = (typeof SORT_TYPES)[number];

interface SortKey {
  path: PathSegment[];
  descending: boolean;
  type: SortType;
}

/** Order of JSON types under `auto` when two values have different types. */
function typeRank(value: unknown): number {
  if (typeof value === 'boolean') return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  return 3;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value));
}

function toSortable(value: unknown, type: SortType): unknown {
  if (type === 'number') {
    let number = Number.NaN;
    if (typeof value === 'number') number = value;
    else if (typeof value === 'string' && value.trim() !== '') number = Number(value);
    return Number.isFinite(number) ? number : null;
  }
  if (type === 'date') {
    let time = Number.NaN;
    if (typeof value === 'number') time = value;
    if (typeof value === 'string') time = Date.parse(value);
    return Number.isFinite(time) ? time : null;
  }
  if (type !== 'string' && type !== 'natural') return value;
  if (typeof value === 'string') return value;
  if (isMissing(value)) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * `mify.data.sort`: sorts items by one or more keys. The sort is stable; missing, null and
 * unconvertible values go last (or first with `nulls: "first"`) whatever the direction.
 */
export const sort = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const params: Parameters = new Parameters(input.parameters ?? {}, ctx.node.name);
    const keys: SortKey[] = params.objects('keys', { minItems: 1, maxItems: 20 }).map((key: Parameters) => {
      const text = key.string('field');
      const path = parsePath(text);
      if (path === null) key.fail('field', `is ${describeValue(text)}, which is not a field path`, 'Use a dot path such as name or address.city.');
      return {
        path,
        descending: key.string<'asc' | 'desc'>('order', { default: 'asc', enum: ['asc', 'desc'] }) === 'desc',
        type: key.string<SortType>('type', { default: 'auto', enum: SORT_TYPES }),
      };
    });
    if (keys.length === 0) params.fail('keys', 'is missing', 'Add a sort key such as { "field": "name" }.');
    const locale = params.string('locale', { default: 'en' });
    const caseSensitive = params.boolean('caseSensitive', false);
    const nullsFirst = params.string<'last' | 'first'>('nulls', { default: 'last', enum: ['last', 'first'] }) === 'first';

    let plain: Intl.Collator;
    let natural: Intl.Collator;
    try {
      const sensitivity = caseSensitive ? 'variant' : 'accent';
      plain = new Intl.Collator(locale, { sensitivity, caseFirst: caseSensitive ? 'upper' : 'false' });
      natural = new Intl.Collator(locale, { sensitivity, numeric: true, caseFirst: caseSensitive ? 'upper' : 'false' });
    } catch (error) {
      return params.fail('locale', `is ${describeValue(locale)}, which is not a locale (${(error as Error).message})`, 'Use a BCP 47 language tag such as en, de or sv-SE.');
    }

    const rows = input.items.map((item, index) => ({ item, index, values: keys.map((key) => toSortable(getPath(item.json, key.path), key.type)) }));
    rows.sort((a, b) => {
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        const left = a.values[k];
        const right = b.values[k];
        const leftMissing = isMissing(left);
        const rightMissing = isMissing(right);
        if (leftMissing || rightMissing) {
          if (leftMissing && rightMissing) continue;
          return (leftMissing ? 1 : -1) * (nullsFirst ? -1 : 1);
        }

        let order: number;
        if (typeof left === 'string' && typeof right === 'string') order = (key.type === 'natural' ? natural : plain).compare(left, right);
        else if (typeof left === 'number' && typeof right === 'number') order = left - right;
        else if (typeRank(left) !== typeRank(right)) order = typeRank(left) - typeRank(right);
        else if (typeof left === 'boolean') order = Number(left) - Number(right);
        else order = plain.compare(JSON.stringify(left), JSON.stringify(right));

        if (order !== 0) return key.descending ? -order : order;
      }
      return a.index - b.index;
    });
    return { items: rows.map((row) => row.item) };
  },
};
