/**
 * A JSON Schema validator for the subset that structured-output schemas use. It checks `type`
 * (including `integer` and type lists), `enum`, `const`, `properties`, `required`,
 * `additionalProperties`, `items`, `minItems`, `maxItems`, `minLength`, `maxLength`,
 * `pattern`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `anyOf`,
 * `oneOf`, `allOf` and local `$ref`s to `#/$defs/…` or `#/definitions/…`.
 *
 * NOTE: `format`, `if`/`then`/`else`, `patternProperties`, `dependentRequired` and remote
 * `$ref`s are ignored, so a value can pass here that a full validator would reject.
 */

export type JsonSchema = Record<string, unknown>;

export interface SchemaProblem {
  /** JSON path of the value, such as `$.items[2].name`. */
  path: string;
  message: string;
}

const MAX_PROBLEMS = 20;
const MAX_DEPTH = 64;

/** Validates a value and returns every problem found, up to 20; an empty list means valid. */
export function validateJson(value: unknown, schema: JsonSchema): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  check(value, schema, '$', schema, problems, 0);
  return problems.slice(0, MAX_PROBLEMS);
}

/** Formats problems as one line each, for error messages. */
export function describeProblems(problems: SchemaProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

function resolveRef(ref: string, root: JsonSchema): JsonSchema | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const definitions = root[match[1]!] as Record<string, JsonSchema> | undefined;
  return definitions?.[match[2]!.replace(/~1/g, '/').replace(/~0/g, '~')];
}

function check(value: unknown, schema: unknown, path: string, root: JsonSchema, problems: SchemaProblem[], depth: number): void {
  if (problems.length >= MAX_PROBLEMS) return;
  if (schema === true || schema === undefined) return;
  if (schema === false) {
    problems.push({ path, message: 'no value is allowed here' });
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  if (depth > MAX_DEPTH) {
    problems.push({ path, message: `the schema nests deeper than ${MAX_DEPTH} levels` });
    return;
  }
  const s = schema as JsonSchema;

  if (typeof s.$ref === 'string') {
    const target = resolveRef(s.$ref, root);
    if (target) check(value, target, path, root, problems, depth + 1);
  }

  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((type) => matchesType(value, type))) {
      problems.push({ path, message: `expected ${types.join(' or ')}, got ${typeOf(value)}` });
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((option) => deepEqual(option, value))) {
    problems.push({ path, message: `expected one of ${JSON.stringify(s.enum)}, got ${JSON.stringify(value)}` });
  }
  if (s.const !== undefined && !deepEqual(s.const, value)) {
    problems.push({ path, message: `expected ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}` });
  }

  checkCombinators(value, s, path, root, problems, depth);
  if (typeof value === 'string') checkString(value, s, path, problems);
  if (typeof value === 'number') checkNumber(value, s, path, problems);
  if (Array.isArray(value)) checkArray(value, s, path, root, problems, depth);
  else if (typeof value === 'object' && value !== null) checkObject(value as Record<string, unknown>, s, path, root, problems, depth);
}

function checkCombinators(value: unknown, s: JsonSchema, path: string, root: JsonSchema, problems: SchemaProblem[], depth: number): void {
  if (Array.isArray(s.allOf)) for (const part of s.allOf) check(value, part, path, root, problems, depth + 1);

  const passing = (options: unknown[]) => options.filter((option) => {
    const nested: SchemaProblem[] = [];
    check(value, option, path, root, nested, depth + 1);
    return nested.length === 0;
  }).length;
  if (Array.isArray(s.anyOf) && passing(s.anyOf) === 0) problems.push({ path, message: 'matches none of the anyOf schemas' });
  if (Array.isArray(s.oneOf)) {
    const count = passing(s.oneOf);
    if (count !== 1) problems.push({ path, message: `matches ${count} of the oneOf schemas, expected exactly 1` });
  }
}

function checkString(value: string, s: JsonSchema, path: string, problems: SchemaProblem[]): void {
  const length = [...value].length;
  if (typeof s.minLength === 'number' && length < s.minLength) problems.push({ path, message: `expected at least ${s.minLength} characters, got ${length}` });
  if (typeof s.maxLength === 'number' && length > s.maxLength) problems.push({ path, message: `expected at most ${s.maxLength} characters, got ${length}` });
  if (typeof s.pattern === 'string') {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(s.pattern, 'u');
    } catch {
      problems.push({ path, message: `the schema's pattern ${JSON.stringify(s.pattern)} is not a valid regular expression` });
    }
    if (pattern && !pattern.test(value)) problems.push({ path, message: `does not match the pattern ${JSON.stringify(s.pattern)}` });
  }
}

function checkNumber(value: number, s: JsonSchema, path: string, problems: SchemaProblem[]): void {
  if (typeof s.minimum === 'number' && value < s.minimum) problems.push({ path, message: `expected at least ${s.minimum}, got ${value}` });
  if (typeof s.maximum === 'number' && value > s.maximum) problems.push({ path, message: `expected at most ${s.maximum}, got ${value}` });
  if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) problems.push({ path, message: `expected more than ${s.exclusiveMinimum}, got ${value}` });
  if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) problems.push({ path, message: `expected less than ${s.exclusiveMaximum}, got ${value}` });
}

function checkArray(value: unknown[], s: JsonSchema, path: string, root: JsonSchema, problems: SchemaProblem[], depth: number): void {
  if (typeof s.minItems === 'number' && value.length < s.minItems) problems.push({ path, message: `expected at least ${s.minItems} items, got ${value.length}` });
  if (typeof s.maxItems === 'number' && value.length > s.maxItems) problems.push({ path, message: `expected at most ${s.maxItems} items, got ${value.length}` });
  if (s.items !== undefined && !Array.isArray(s.items)) {
    value.forEach((entry, index) => check(entry, s.items, `${path}[${index}]`, root, problems, depth + 1));
  }
}

function checkObject(value: Record<string, unknown>, s: JsonSchema, path: string, root: JsonSchema, problems: SchemaProblem[], depth: number): void {
  const properties = (typeof s.properties === 'object' && s.properties !== null ? s.properties : {}) as Record<string, unknown>;
  if (Array.isArray(s.required)) {
    for (const name of s.required as string[]) {
      if (!Object.hasOwn(value, name)) problems.push({ path, message: `missing required property "${name}"` });
    }
  }
  for (const [name, entry] of Object.entries(value)) {
    const childPath = /^[A-Za-z_$][\w$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
    if (Object.hasOwn(properties, name)) {
      check(entry, properties[name], childPath, root, problems, depth + 1);
    } else if (s.additionalProperties === false) {
      problems.push({ path: childPath, message: 'is not allowed (additionalProperties is false)' });
    } else if (typeof s.additionalProperties === 'object') {
      check(entry, s.additionalProperties, childPath, root, problems, depth + 1);
    }
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
