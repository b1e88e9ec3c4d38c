/**
 * Conversion between n8n's filter conditions (If v2+, Switch v3+, Filter) and the condition
 * model of the MIFY If, Switch and Filter nodes, in both directions.
 */
import { isObject } from '@mify/sdk';

/** A MIFY condition as the control and data extensions read it. */
export interface MifyCondition {
  field?: string;
  leftValue?: unknown;
  type: 'string' | 'number' | 'boolean' | 'date' | 'array' | 'any';
  operator: string;
  value?: unknown;
  caseSensitive?: boolean;
}

export interface ConvertedConditions {
  conditions: MifyCondition[];
  combinator: 'and' | 'or';
  looseTypes: boolean;
  /** Differences to report; empty when the conversion is exact. */
  notes: string[];
}

/** n8n operation per n8n operand type → MIFY type and operator. Operations absent here are approximated below. */
const OPERATIONS: Record<string, Record<string, [MifyCondition['type'], string]>> = {
  string: { equals: ['string', 'equals'], notEquals: ['string', 'notEquals'], contains: ['string', 'contains'], notContains: ['string', 'notContains'], startsWith: ['string', 'startsWith'], endsWith: ['string', 'endsWith'], regex: ['string', 'matchesRegex'], notRegex: ['string', 'notMatchesRegex'], empty: ['string', 'isEmpty'], notEmpty: ['string', 'isNotEmpty'] },
  number: { equals: ['number', 'equals'], notEquals: ['number', 'notEquals'], gt: ['number', 'gt'], lt: ['number', 'lt'], gte: ['number', 'gte'], lte: ['number', 'lte'] },
  boolean: { true: ['boolean', 'isTrue'], false: ['boolean', 'isFalse'], equals: ['boolean', 'equals'], notEquals: ['boolean', 'notEquals'] },
  dateTime: { equals: ['date', 'equals'], notEquals: ['date', 'notEquals'], after: ['date', 'after'], before: ['date', 'before'], afterOrEquals: ['date', 'onOrAfter'], beforeOrEquals: ['date', 'onOrBefore'] },
  array: { contains: ['array', 'contains'], notContains: ['array', 'notContains'], lengthEquals: ['array', 'lengthEquals'], lengthGt: ['array', 'lengthGt'], lengthLt: ['array', 'lengthLt'], empty: ['array', 'isEmpty'], notEmpty: ['array', 'isNotEmpty'] },
  any: { exists: ['any', 'exists'], notExists: ['any', 'notExists'], empty: ['any', 'isEmpty'], notEmpty: ['any', 'isNotEmpty'], equals: ['any', 'equals'], notEquals: ['any', 'notEquals'] },
};

/** Operators that take no right-hand value. */
const SINGLE_VALUE = new Set(['isEmpty', 'isNotEmpty', 'exists', 'notExists', 'isTrue', 'isFalse']);

const JSON_FIELD = /^=\{\{\s*\$json\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\}\}$/;

/** Reads `={{ $json.a.b }}` as the field path `a.b`, the canonical MIFY form; anything else stays a left value. */
function leftSide(value: unknown): Pick<MifyCondition, 'field' | 'leftValue'> {
  if (typeof value === 'string') {
    const match = JSON_FIELD.exec(value);
    if (match) return { field: match[1]! };
  }
  return { leftValue: value };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Converts one n8n v2 filter condition. Returns null, with a note, when it cannot be expressed. */
function convertCondition(raw: Record<string, unknown>, caseSensitive: boolean, notes: string[]): MifyCondition | null {
  const operator = isObject(raw.operator) ? raw.operator : {};
  const n8nType = typeof operator.type === 'string' ? operator.type : 'string';
  const operation = typeof operator.operation === 'string' ? operator.operation : 'equals';
  const left = leftSide(raw.leftValue);
  const right = raw.rightValue;

  let mapped = OPERATIONS[n8nType]?.[operation] ?? (['exists', 'notExists', 'empty', 'notEmpty'].includes(operation) ? OPERATIONS.any![operation] : undefined);
  let value: unknown = right;

  if (!mapped && (operation === 'notStartsWith' || operation === 'notEndsWith')) {
    mapped = ['string', 'notMatchesRegex'];
    if (typeof right === 'string' && !right.startsWith('=')) {
      value = operation === 'notStartsWith' ? `^${escapeRegex(right)}` : `${escapeRegex(right)}$`;
    } else {
      value = operation === 'notStartsWith' ? `={{ "^" + String(${expressionBody(right)}).replace(/[.*+?^\${}()|[\\]\\\\]/g, "\\\\$&") }}` : `={{ String(${expressionBody(right)}).replace(/[.*+?^\${}()|[\\]\\\\]/g, "\\\\$&") + "$" }}`;
    }
  }
  if (!mapped && (operation === 'lengthGte' || operation === 'lengthLte') && typeof right === 'number') {
    mapped = ['array', operation === 'lengthGte' ? 'lengthGt' : 'lengthLt'];
    value = operation === 'lengthGte' ? right - 1 : right + 1;
  }
  if (!mapped) {
    notes.push(`Condition ${n8nType} "${operation}" has no MIFY operator; it was left out, so review the conditions.`);
    return null;
  }

  const condition: MifyCondition = { ...left, type: mapped[0], operator: mapped[1] };
  if (!SINGLE_VALUE.has(mapped[1]) && value !== undefined) condition.value = value;
  if (mapped[0] === 'string' && !caseSensitive) condition.caseSensitive = false;
  return condition;
}

/** Returns the JavaScript inside `={{ … }}`, or the value as a JSON literal. */
function expressionBody(value: unknown): string {
  if (typeof value === 'string') {
    const match = /^=\{\{([\s\S]*)\}\}$/.exec(value.trim());
    if (match) return match[1]!.trim();
    return JSON.stringify(value.startsWith('=') ? value.slice(1) : value);
  }
  return JSON.stringify(value ?? null);
}

/**
 * Converts the `conditions` parameter of n8n If v2+, Switch v3+ rules and Filter v2+
 * (`{ options, conditions: [...], combinator }`). `options.caseSensitive` becomes the
 * condition's `caseSensitive`, and loose type validation becomes `looseTypes`.
 */
export function convertFilter(filter: unknown, looseTypeValidation: boolean): ConvertedConditions {
  const notes: string[] = [];
  const value = isObject(filter) ? filter : {};
  const options = isObject(value.options) ? value.options : {};
  const caseSensitive = options.caseSensitive !== false;
  const conditions: MifyCondition[] = [];
  for (const raw of Array.isArray(value.conditions) ? value.conditions : []) {
    if (!isObject(raw)) continue;
    const condition = convertCondition(raw, caseSensitive, notes);
    if (condition) conditions.push(condition);
  }
  const loose = looseTypeValidation || options.typeValidation === 'loose';
  return { conditions, combinator: value.combinator === 'or' ? 'or' : 'and', looseTypes: loose, notes };
}

/** n8n If v1 operations per value type → MIFY type and operator. */
const V1_OPERATIONS: Record<string, Record<string, [MifyCondition['type'], string]>> = {
  string: { equal: ['string', 'equals'], notEqual: ['string', 'notEquals'], contains: ['string', 'contains'], notContains: ['string', 'notContains'], startsWith: ['string', 'startsWith'], endsWith: ['string', 'endsWith'], regex: ['string', 'matchesRegex'], notRegex: ['string', 'notMatchesRegex'], isEmpty: ['string', 'isEmpty'], isNotEmpty: ['string', 'isNotEmpty'] },
  number: { equal: ['number', 'equals'], notEqual: ['number', 'notEquals'], smaller: ['number', 'lt'], smallerEqual: ['number', 'lte'], larger: ['number', 'gt'], largerEqual: ['number', 'gte'], isEmpty: ['any', 'isEmpty'], isNotEmpty: ['any', 'isNotEmpty'] },
  boolean: { equal: ['boolean', 'equals'], notEqual: ['boolean', 'notEquals'] },
  dateTime: { after: ['date', 'after'], before: ['date', 'before'] },
};

/** Operation and right-hand value that n8n If v1 uses when the file leaves them out. */
const V1_DEFAULT_OPERATIONS: Record<string, string> = { number: 'smaller' };
const V1_DEFAULT_VALUES: Record<string, unknown> = { boolean: false, number: 0 };

/** Converts the conditions of n8n If v1 (`{ string: [{ value1, operation, value2 }], number: [...], ... }`). */
export function convertV1Conditions(conditions: unknown, combineOperation: unknown): ConvertedConditions {
  const notes: string[] = [];
  const result: MifyCondition[] = [];
  const groups = isObject(conditions) ? conditions : {};
  for (const [kind, list] of Object.entries(groups)) {
    for (const raw of Array.isArray(list) ? list : []) {
      if (!isObject(raw)) continue;
      const operation = typeof raw.operation === 'string' ? raw.operation : V1_DEFAULT_OPERATIONS[kind] ?? 'equal';
      const mapped = V1_OPERATIONS[kind]?.[operation];
      if (!mapped) {
        notes.push(`Condition ${kind} "${operation}" has no MIFY operator; it was left out, so review the conditions.`);
        continue;
      }
      const condition: MifyCondition = { ...leftSide(raw.value1 ?? ''), type: mapped[0], operator: mapped[1] };
      if (!SINGLE_VALUE.has(mapped[1])) condition.value = raw.value2 ?? V1_DEFAULT_VALUES[kind] ?? '';
      result.push(condition);
    }
  }
  return { conditions: result, combinator: combineOperation === 'any' ? 'or' : 'and', looseTypes: false, notes };
}

/** MIFY type and operator → n8n v2 operand type and operation, the inverse of {@link convertFilter}. */
function toN8nOperator(condition: MifyCondition): { type: string; operation: string } | null {
  for (const [n8nType, operations] of Object.entries(OPERATIONS)) {
    for (const [operation, [type, operator]] of Object.entries(operations)) {
      // n8n's object type has only the existence and emptiness checks, which import back as type any.
      if (type === condition.type && operator === condition.operator) return { type: n8nType === 'any' ? 'object' : n8nType, operation };
    }
  }
  return null;
}

/** Writes a plain dot path as `={{ $json.a.b }}`, the form {@link leftSide} reads back; null for other paths. */
function fieldExpression(field: string): string | null {
  return /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(field) ? `={{ $json.${field} }}` : null;
}

/**
 * Writes MIFY conditions as an n8n v2 filter. Returns a reason instead when a condition
 * cannot be written so that importing it again gives the same condition.
 */
export function toN8nFilter(conditions: unknown, combinator: unknown, looseTypes: unknown): Record<string, unknown> | string {
  const list = Array.isArray(conditions) ? (conditions as MifyCondition[]) : [];
  const caseValues = new Set(list.filter((condition) => condition.type === 'string').map((condition) => condition.caseSensitive !== false));
  if (caseValues.size > 1) return 'its string conditions differ in case sensitivity, which n8n sets once per node';

  const n8nConditions: Array<Record<string, unknown>> = [];
  for (const [index, condition] of list.entries()) {
    const operator = toN8nOperator(condition);
    if (!operator) return `condition ${index + 1} (${condition.type} ${condition.operator}) has no n8n operation`;
    if (condition.type === 'any' && !['exists', 'notExists', 'isEmpty', 'isNotEmpty'].includes(condition.operator)) {
      return `condition ${index + 1} compares values of any type with ${condition.operator}, which n8n cannot express`;
    }
    const left = condition.field === undefined ? condition.leftValue : fieldExpression(condition.field);
    if (left === null) return `condition ${index + 1} tests field "${condition.field}", which is not a plain dot path`;
    const entry: Record<string, unknown> = { id: `condition-${index + 1}`, leftValue: left, rightValue: condition.value ?? '', operator: SINGLE_VALUE.has(condition.operator) ? { ...operator, singleValue: true } : operator };
    n8nConditions.push(entry);
  }

  return {
    options: { caseSensitive: !caseValues.has(false), leftValue: '', typeValidation: looseTypes === true ? 'loose' : 'strict', version: 2 },
    conditions: n8nConditions,
    combinator: combinator === 'or' ? 'or' : 'and',
  };
}
