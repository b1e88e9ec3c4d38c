/**
 * Reading node parameters inside the sandbox. The kernel checks parameters against the
 * node's JSON Schema before a graph runs, but the test harness and values produced by
 * expressions are not checked, so every node reads its parameters through these helpers.
 * Each failure names the node, the parameter path and the fix.
 */

/** A parameter value a node cannot use. Its message names the node, the parameter and the fix. */
export class ParameterError extends Error {
  readonly code = 'invalid_parameter';

  constructor(message: string) {
    super(message);
    this.name = 'ParameterError';
  }
}

/** An item a node cannot process, such as a field of the wrong type. */
export class ItemError extends Error {
  readonly code = 'invalid_item';

  constructor(message: string) {
    super(message);
    this.name = 'ItemError';
  }
}

/** Describes a value for a message: JSON, cut to 80 characters. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

interface StringOptions<T extends string> {
  default?: T;
  enum?: readonly T[];
  /** Whether '' is accepted. Default false for required strings without a default. */
  allowEmpty?: boolean;
}

/**
 * Parameters of one node, or one object nested in them, with typed readers. `path` is the
 * parameter path of this object inside the node's parameters, such as `rules[2]`.
 *
 * @example
 * const params = new Parameters(input.parameters, ctx.node.name);
 * const size = params.number('batchSize', { default: 10, min: 1, integer: true });
 */
export class Parameters {
  constructor(
    readonly values: Record<string, unknown>,
    readonly nodeName: string,
    readonly path = '',
  ) {}

  /** Full path of a parameter of this object, such as `rules[2].output`. */
  pathOf(name: string | number): string {
    if (typeof name === 'number') return `${this.path}[${name}]`;
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  /** Raises a ParameterError for `name`: "Node 'X': parameter "a.b" <problem>. <fix>" */
  fail(name: string | number, problem: string, fix: string): never {
    throw new ParameterError(`Node '${this.nodeName}': parameter "${this.pathOf(name)}" ${problem}. ${fix}`);
  }

  has(name: string): boolean {
    const value = this.values[name];
    return value !== undefined && value !== null && value !== '';
  }

  raw(name: string): unknown {
    return this.values[name];
  }

  string<T extends string = string>(name: string, options: StringOptions<T> = {}): T {
    const value = this.values[name];
    if (value === undefined || value === null || (value === '' && !options.allowEmpty)) {
      if (options.default !== undefined) return options.default;
      if (value === '' ) this.fail(name, 'is empty', 'Set it to a non-empty text.');
      this.fail(name, 'is missing', options.enum ? `Set it to one of ${options.enum.map((entry) => JSON.stringify(entry)).join(', ')}.` : 'Set it in the node\'s parameters.');
    }
    if (typeof value !== 'string') this.fail(name, `must be text, got ${typeName(value)} (${describeValue(value)})`, 'Enter it as a string.');
    if (options.enum && !options.enum.includes(value as T)) {
      this.fail(name, `is ${describeValue(value)}`, `Use one of ${options.enum.map((entry) => JSON.stringify(entry)).join(', ')}.`);
    }
    return value as T;
  }

  optionalString(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === null || value === '') return undefined;
    return this.string(name);
  }

  number(name: string, options: { default?: number; min?: number; max?: number; integer?: boolean } = {}): number {
    let value = this.values[name];
    if (value === undefined || value === null || value === '') {
      if (options.default !== undefined) return options.default;
      this.fail(name, 'is missing', 'Set it to a number.');
    }
    // Expressions resolve to strings in some editors, so a numeric string is accepted.
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) value = Number(value);
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(name, `must be a number, got ${describeValue(value)}`, 'Enter a finite number such as 10.');
    if (options.integer && !Number.isInteger(value)) this.fail(name, `must be a whole number, got ${value}`, 'Remove the fraction.');
    if (options.min !== undefined && value < options.min) this.fail(name, `is ${value}, below the minimum of ${options.min}`, `Use a value of at least ${options.min}.`);
    if (options.max !== undefined && value > options.max) this.fail(name, `is ${value}, above the maximum of ${options.max}`, `Use a value of at most ${options.max}.`);
    return value;
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.values[name];
    if (value === undefined || value === null || value === '') return defaultValue;
    if (value === 'true') return true;
    if (value === 'false') return false;
    if (typeof value !== 'boolean') this.fail(name, `must be true or false, got ${describeValue(value)}`, 'Use a boolean.');
    return value;
  }

  array(name: string, options: { default?: unknown[]; minItems?: number; maxItems?: number } = {}): unknown[] {
    const value = this.values[name];
    if (value === undefined || value === null) {
      if (options.default !== undefined) return options.default;
      this.fail(name, 'is missing', 'Set it to a list.');
    }
    if (!Array.isArray(value)) this.fail(name, `must be a list, got ${typeName(value)} (${describeValue(value)})`, 'Enter it as a JSON array.');
    if (options.minItems !== undefined && value.length < options.minItems) this.fail(name, `has ${value.length} entries, fewer than ${options.minItems}`, `Add at least ${options.minItems}.`);
    if (options.maxItems !== undefined && value.length > options.maxItems) this.fail(name, `has ${value.length} entries, more than the maximum of ${options.maxItems}`, `Remove entries until at most ${options.maxItems} remain.`);
    return value;
  }

  /** Reads a list of strings, such as field paths. A single string is read as a comma-separated list. */
  stringList(name: string, options: { default?: string[]; minItems?: number } = {}): string[] {
    const value = this.values[name];
    if (typeof value === 'string') {
      const parts = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
      if (options.minItems !== undefined && parts.length < options.minItems) this.fail(name, 'is empty', `List at least ${options.minItems} entries.`);
      return parts;
    }
    const list = this.array(name, options);
    return list.map((entry, index) => {
      if (typeof entry !== 'string' || entry === '') this.fail(`${name}[${index}]` as string, `must be a non-empty text, got ${describeValue(entry)}`, 'Enter a field path such as customer.id.');
      return entry;
    });
  }

  /** Reads the object at `name[index]` (or `name` when index is undefined) as Parameters. */
  object(name: string, index?: number): Parameters {
    const container = this.values[name];
    const value = index === undefined ? container : (container as unknown[])[index];
    const path = index === undefined ? this.pathOf(name) : `${this.pathOf(name)}[${index}]`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ParameterError(`Node '${this.nodeName}': parameter "${path}" must be an object, got ${typeName(value)} (${describeValue(value)}). Enter it as a JSON object.`);
    }
    return new Parameters(value as Record<string, unknown>, this.nodeName, path);
  }

  /** Reads each object of the list `name` as Parameters. */
  objects(name: string, options: { default?: unknown[]; minItems?: number; maxItems?: number } = {}): Parameters[] {
    const list = this.array(name, options);
    if (this.values[name] === undefined || this.values[name] === null) return [];
    return list.map((_, index) => this.object(name, index));
  }
}

/**
 * Returns the parameters of each item: `itemParameters` when the kernel resolved expressions
 * per item, otherwise the node's parameters for every item.
 */
export function parametersPerItem(input: { items: unknown[]; parameters?: Record<string, unknown>; itemParameters?: Array<Record<string, unknown>> }): Array<Record<string, unknown>> {
  const shared = input.parameters ?? {};
  return input.items.map((_, index) => input.itemParameters?.[index] ?? shared);
}
