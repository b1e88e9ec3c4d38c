import { isTemplate, type ParsedTemplate, parseTemplate } from './template.js';
import { LruMap } from './lru.js';

/** One key on the way from the parameters object to a value: a property name or an array index. */
export type PathKey = string | number;

/** A string inside the parameters that is a template. */
export interface TemplateSite {
  path: PathKey[];
  /** The path as users write it, e.g. `headers.Authorization`, `items[2].value` or `headers["Content-Type"]`. */
  label: string;
  /** The parameter string as written. */
  text: string;
  template: ParsedTemplate;
}

/**
 * Returns whether any string inside `value` is a template, so resolving could change it.
 * It walks arrays and plain objects and never runs an expression.
 */
export function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return isTemplate(value);
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (isPlainObject(value)) {
    for (const key in value) {
      if (Object.hasOwn(value, key) && containsTemplate(value[key])) return true;
    }
  }
  return false;
}

/** Parses parameter strings, remembering the result for the most recent distinct strings. */
export class TemplateParser {
  readonly #cache: LruMap<string, ParsedTemplate>;

  constructor(maxEntries: number) {
    this.#cache = new LruMap(maxEntries);
  }

  parse(text: string): ParsedTemplate | null {
    if (!isTemplate(text)) return null;

    const cached = this.#cache.get(text);
    if (cached !== undefined) return cached;

    const parsed = parseTemplate(text)!;
    this.#cache.set(text, parsed);
    return parsed;
  }

  /** Lists every template inside `parameters`, depth first, in key order. */
  findSites(parameters: Record<string, unknown>): TemplateSite[] {
    const sites: TemplateSite[] = [];
    this.#visit(parameters, [], '', sites);
    return sites;
  }

  #visit(value: unknown, path: PathKey[], label: string, sites: TemplateSite[]): void {
    if (typeof value === 'string') {
      const template = this.parse(value);
      if (template !== null) sites.push({ path: [...path], label, text: value, template });
      return;
    }

    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        this.#visit(value[index], path, `${label}[${index}]`, sites);
        path.pop();
      }
      return;
    }

    if (isPlainObject(value)) {
      for (const key of Object.keys(value)) {
        path.push(key);
        this.#visit(value[key], path, appendKey(label, key), sites);
        path.pop();
      }
    }
  }
}

/**
 * Returns a copy of `parameters` with the value at each site's path replaced. Only the arrays
 * and objects on those paths are copied; everything else is shared with the input. A key
 * named `__proto__` stays an own property.
 */
export function replaceAtPaths(parameters: Record<string, unknown>, sites: readonly TemplateSite[], values: readonly unknown[]): Record<string, unknown> {
  const copies = new Map<object, Record<PathKey, unknown>>();
  const copyOf = (container: object): Record<PathKey, unknown> => {
    let copy = copies.get(container);
    if (copy === undefined) {
      // Spread defines own data properties, so a `__proto__` key is copied, not applied.
      copy = (Array.isArray(container) ? [...container] : { ...container }) as Record<PathKey, unknown>;
      copies.set(container, copy);
    }
    return copy;
  };

  const root = copyOf(parameters);
  for (let siteIndex = 0; siteIndex < sites.length; siteIndex++) {
    const path = sites[siteIndex]!.path;
    let original: Record<PathKey, unknown> = parameters;
    let copy = root;

    for (let depth = 0; depth < path.length - 1; depth++) {
      const key = path[depth]!;
      original = original[key] as Record<PathKey, unknown>;
      const child = copyOf(original);
      defineValue(copy, key, child);
      copy = child;
    }
    defineValue(copy, path[path.length - 1]!, values[siteIndex]);
  }

  return root as Record<string, unknown>;
}

function defineValue(target: Record<PathKey, unknown>, key: PathKey, value: unknown): void {
  // Assigning `__proto__` would replace the prototype instead of setting a property.
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function appendKey(label: string, key: string): string {
  if (!IDENTIFIER.test(key)) return `${label}[${JSON.stringify(key)}]`;
  return label === '' ? key : `${label}.${key}`;
}
