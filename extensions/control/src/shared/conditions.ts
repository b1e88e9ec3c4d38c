/**
 * The condition model shared by route-if, route-switch and filter. A group of conditions is
 * combined with AND or OR; each condition compares a left value (a field of the item, or a
 * value resolved per item from an expression) with a right value, by an operator of a type.
 */
import { describeValue, ItemError, Parameters } from './parameters.js';
import { getPath, hasPath, parsePath, type PathSegment } from './paths.js';

export const CONDITION_TYPES = ['string', 'number', 'boolean', 'date', 'array', 'any'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Operators per type, and how many right values each needs. */
export const OPERATORS: Record<ConditionType, Record<string, 0 | 1 | 2>> = {
  string: { equals: 1, notEquals: 1, contains: 1, notContains: 1, startsWith: 1, endsWith: 1, matchesRegex: 1, notMatchesRegex: 1, isEmpty: 0, isNotEmpty: 0 },
  number: { equals: 1, notEquals: 1, gt: 1, gte: 1, lt: 1, lte: 1, between: 2 },
  boolean: { isTrue: 0, isFalse: 0, equals: 1, notEquals: 1 },
  date: { equals: 1, notEquals: 1, before: 1, after: 1, onOrBefore: 1, onOrAfter: 1, between: 2 },
  array: { contains: 1, notContains: 1, lengthEquals: 1, lengthGt: 1, lengthLt: 1, isEmpty: 0, isNotEmpty: 0 },
  any: { exists: 0, notExists: 0, isEmpty: 0, isNotEmpty: 0, equals: 1, notEquals: 1 },
};

/** Negated operators, which hold for a missing or null left value; every other comparison is false for it. */
const NEGATED = new Set(['notEquals', 'notContains', 'notMatchesRegex']);

interface CompiledCondition {
  path: string;
  field: PathSegment[] | null;
  leftValue: unknown;
  type: ConditionType;
  operator: string;
  right: unknown;
  right2: unknown;
  caseSensitive: boolean;
  regex: RegExp | null;
}

/** A validated group of conditions, ready to test items. */
export interface ConditionGroup {
  combinator: 'and' | 'or';
  /** With loose types, a value that cannot be converted makes its condition false instead of failing the node. */
  looseTypes: boolean;
  conditions: CompiledCondition[];
  nodeName: string;
}

/**
 * Reads and checks a condition group from `params`: the list `conditions`, `combinator`
 * (`and`, default, or `or`) and `looseTypes` (default false).
 *
 * @throws ParameterError naming the condition and the fix
 */
export function readConditionGroup(params: Parameters): ConditionGroup {
  const combinator = params.string<'and' | 'or'>('combinator', { default: 'and', enum: ['and', 'or'] });
  const looseTypes = params.boolean('looseTypes', false);
  const conditions = params.objects('conditions', { minItems: 1, maxItems: 100 }).map(readCondition);
  if (conditions.length === 0) params.fail('conditions', 'is missing', 'Add at least one condition such as { "field": "status", "type": "string", "operator": "equals", "value": "paid" }.');
  return { combinator, looseTypes, conditions, nodeName: params.nodeName };
}

function readCondition(condition: Parameters): CompiledCondition {
  const type = condition.string<ConditionType>('type', { default: 'string', enum: CONDITION_TYPES });
  const operators = OPERATORS[type];
  const operator = condition.string('operator', { enum: Object.keys(operators) });

  const fieldText = condition.optionalString('field');
  let field: PathSegment[] | null = null;
  if (fieldText !== undefined) {
    field = parsePath(fieldText);
    if (field === null) condition.fail('field', `is ${describeValue(fieldText)}, which is not a field path`, 'Use a dot path such as customer.email or lines[0].sku.');
  } else if (!Object.hasOwn(condition.values, 'leftValue')) {
    condition.fail('field', 'is missing', 'Set "field" to a dot path of the item, or "leftValue" to a value such as {{ $json.total }}.');
  }

  const compiled: CompiledCondition = {
    path: condition.path,
    field,
    leftValue: condition.raw('leftValue'),
    type,
    operator,
    right: undefined,
    right2: undefined,
    caseSensitive: condition.boolean('caseSensitive', true),
    regex: null,
  };

  const arity = operators[operator]!;
  if (arity >= 1) compiled.right = readRightValue(condition, 'value', type, operator);
  if (arity === 2) compiled.right2 = readRightValue(condition, 'value2', type, operator);
  if (operator === 'matchesRegex' || operator === 'notMatchesRegex') compiled.regex = compileRegex(condition, String(compiled.right), compiled.caseSensitive);
  return compiled;
}

function readRightValue(condition: Parameters, name: string, type: ConditionType, operator: string): unknown {
  const value = condition.raw(name);
  if (value === undefined) condition.fail(name, 'is missing', `The operator "${operator}" compares with "${name}"; set it.`);
  if (type === 'any') return value;
  if (type === 'array') {
    if (operator.startsWith('length')) {
      const length = toNumber(value);
      if (length === undefined || !Number.isInteger(length) || length < 0) condition.fail(name, `is ${describeValue(value)}`, 'Enter a whole number of at least 0.');
      return length;
    }
    return value;
  }
  const converted = convert(value, type, true);
  if (converted === undefined) condition.fail(name, `is ${describeValue(value)}, which is not a ${type}`, hintFor(type));
  return converted;
}

function compileRegex(condition: Parameters, source: string, caseSensitive: boolean): RegExp {
  // `/pattern/flags` carries its own flags; a bare pattern gets `i` when the condition ignores case.
  const literal = /^\/(.*)\/([dgimsuvy]*)$/s.exec(source);
  const pattern = literal ? literal[1]! : source;
  let flags = literal ? literal[2]!.replace('g', '').replace('y', '') : '';
  if (!caseSensitive && !flags.includes('i')) flags += 'i';
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    return condition.fail('value', `is not a valid regular expression (${(error as Error).message})`, 'Fix the pattern, for example ^[A-Z]{2}\\d+$, or escape special characters with a backslash.');
  }
}

function hintFor(type: ConditionType): string {
  switch (type) {
    case 'number':
      return 'Enter a number such as 42 or "42".';
    case 'boolean':
      return 'Enter true or false.';
    case 'date':
      return 'Enter an ISO 8601 date such as 2024-05-01T12:00:00Z or milliseconds since 1970.';
    default:
      return 'Enter a text.';
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/**
 * Converts a value to a condition type; undefined when it cannot. Strings are parsed as
 * numbers and dates; `loose` also accepts "true"/"false", 1/0 and objects as text.
 */
function convert(value: unknown, type: ConditionType, loose: boolean): unknown {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return loose && value !== null && value !== undefined ? JSON.stringify(value) : undefined;
    case 'number':
      return toNumber(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (!loose) return undefined;
      if (value === 'true' || value === 1 || value === '1') return true;
      if (value === 'false' || value === 0 || value === '0') return false;
      return undefined;
    case 'date': {
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      if (typeof value !== 'string' || value.trim() === '') return undefined;
      const time = Date.parse(value);
      return Number.isNaN(time) ? undefined : time;
    }
    case 'array':
      return Array.isArray(value) ? value : undefined;
    default:
      return value;
  }
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** JSON equality: same type and, for arrays and objects, equal members. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((entry, index) => jsonEquals(entry, (b as unknown[])[index]));
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  return aKeys.length === bKeys.length && aKeys.every((key) => Object.hasOwn(b, key) && jsonEquals((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function evaluateCondition(condition: CompiledCondition, json: Record<string, unknown>, itemIndex: number, group: ConditionGroup): boolean {
  const { operator, type } = condition;
  const present = condition.field === null ? condition.leftValue !== undefined : hasPath(json, condition.field);
  const raw = condition.field === null ? condition.leftValue : getPath(json, condition.field);

  if (operator === 'exists') return present && raw !== undefined;
  if (operator === 'notExists') return !present || raw === undefined;
  if (operator === 'isEmpty' && type !== 'array' && type !== 'string') return isEmptyValue(raw);
  if (operator === 'isNotEmpty' && type !== 'array' && type !== 'string') return !isEmptyValue(raw);
  if (type === 'any') return operator === 'equals' ? jsonEquals(raw, condition.right) : !jsonEquals(raw, condition.right);

  if (raw === undefined || raw === null) return operator === 'isEmpty' || NEGATED.has(operator);

  const left = convert(raw, type, group.looseTypes);
  if (left === undefined) {
    if (group.looseTypes) return false;
    const where = condition.field === null ? 'leftValue' : `field "${condition.field.join('.')}"`;
    throw new ItemError(
      `Node '${group.nodeName}': item ${itemIndex} has ${describeValue(raw)} in ${where}, which is not a ${type} (condition "${condition.path}"). Change the condition's "type", convert the field first, or set "looseTypes": true to treat such items as not matching.`,
    );
  }
  return compare(condition, left);
}

function compare(condition: CompiledCondition, left: unknown): boolean {
  const { operator, right, right2 } = condition;
  switch (condition.type) {
    case 'string': {
      const fold = (text: string) => (condition.caseSensitive ? text : text.toLocaleLowerCase());
      const a = fold(left as string);
      const b = right === undefined ? '' : fold(right as string);
      switch (operator) {
        case 'equals': return a === b;
        case 'notEquals': return a !== b;
        case 'contains': return a.includes(b);
        case 'notContains': return !a.includes(b);
        case 'startsWith': return a.startsWith(b);
        case 'endsWith': return a.endsWith(b);
        case 'matchesRegex': return condition.regex!.test(left as string);
        case 'notMatchesRegex': return !condition.regex!.test(left as string);
        case 'isEmpty': return a === '';
        case 'isNotEmpty': return a !== '';
      }
      break;
    }
    case 'number':
    case 'date': {
      const a = left as number;
      const b = right as number;
      switch (operator) {
        case 'equals': return a === b;
        case 'notEquals': return a !== b;
        case 'gt': case 'after': return a > b;
        case 'gte': case 'onOrAfter': return a >= b;
        case 'lt': case 'before': return a < b;
        case 'lte': case 'onOrBefore': return a <= b;
        case 'between': return a >= Math.min(b, right2 as number) && a <= Math.max(b, right2 as number);
      }
      break;
    }
    case 'boolean':
      switch (operator) {
        case 'isTrue': return left === true;
        case 'isFalse': return left === false;
        case 'equals': return left === right;
        case 'notEquals': return left !== right;
      }
      break;
    case 'array': {
      const list = left as unknown[];
      switch (operator) {
        case 'contains': return list.some((entry) => jsonEquals(entry, right));
        case 'notContains': return !list.some((entry) => jsonEquals(entry, right));
        case 'lengthEquals': return list.length === right;
        case 'lengthGt': return list.length > (right as number);
        case 'lengthLt': return list.length < (right as number);
        case 'isEmpty': return list.length === 0;
        case 'isNotEmpty': return list.length > 0;
      }
      break;
    }
  }
  return false;
}

/**
 * Tests one item against a group. AND stops at the first false condition, OR at the first true one.
 *
 * @throws ItemError when a value has the wrong type and the group does not use loose types
 */
export function matchesGroup(group: ConditionGroup, json: Record<string, unknown>, itemIndex: number): boolean {
  if (group.combinator === 'and') return group.conditions.every((condition) => evaluateCondition(condition, json, itemIndex, group));
  return group.conditions.some((condition) => evaluateCondition(condition, json, itemIndex, group));
}

/**
 * Reads the condition group of each item's parameters, compiling it once when every item
 * shares the node's parameters.
 */
export function groupsPerItem(perItem: Array<Record<string, unknown>>, nodeName: string, read: (params: Parameters) => ConditionGroup = readConditionGroup): ConditionGroup[] {
  const cache = new Map<Record<string, unknown>, ConditionGroup>();
  return perItem.map((values) => {
    let group = cache.get(values);
    if (group === undefined) {
      group = read(new Parameters(values, nodeName));
      cache.set(values, group);
    }
    return group;
  });
}
