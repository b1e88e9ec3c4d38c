import { ExtensionError } from './errors.js';
import type { NodePort } from './manifest.js';
import type { Item } from './types.js';

/**
 * Returns the names of a node's ports as declared in the manifest, where a port is either a
 * name or `{ name, label?, required? }`.
 *
 * @example
 * portNames(['main', { name: 'fallback', required: false }]); // ['main', 'fallback']
 */
export function portNames(ports: readonly NodePort[]): string[] {
  return ports.map((port) => (typeof port === 'string' ? port : port.name));
}

/**
 * Converts the result of a node's `execute` into items per output port, by the rules of
 * `NodeOutput`. `{ items }` goes to the first port unless a port is named `items`. Otherwise
 * keys are port names, and declared ports left out get no items.
 *
 * Throws an `ExtensionError` with code `invalid_output` when the result is not an object,
 * names an undeclared port, or holds something other than an array of `{ json }` objects.
 *
 * @example
 * normalizeNodeOutput({ items: [{ json: { a: 1 } }] }, ['main']); // { main: [{ json: { a: 1 } }] }
 * normalizeNodeOutput({ true: [] }, ['true', 'false']); // { true: [], false: [] }
 */
export function normalizeNodeOutput(output: unknown, outputPorts: readonly string[]): Record<string, Item[]> {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    throw new ExtensionError('invalid_output', `A node must return { items } or items keyed by output port, but it returned ${describe(output)}.`);
  }

  const firstPort = outputPorts[0];
  const entries = Object.entries(output);
  const usesShorthand = firstPort !== undefined && !outputPorts.includes('items') && entries.length === 1 && entries[0]![0] === 'items';

  const result: Record<string, Item[]> = Object.fromEntries(outputPorts.map((port) => [port, []]));
  for (const [key, items] of entries) {
    const port = usesShorthand ? firstPort : key;
    if (!outputPorts.includes(port)) {
      throw new ExtensionError('invalid_output', `A node returned items for output port "${key}", but it declares only ${outputPorts.map((name) => `"${name}"`).join(', ') || 'no output ports'}.`, {
        details: { port: key },
      });
    }
    result[port] = checkItems(items, port);
  }
  return result;
}

function checkItems(items: unknown, port: string): Item[] {
  if (!Array.isArray(items)) {
    throw new ExtensionError('invalid_output', `Output port "${port}" must be an array of items, but it is ${describe(items)}.`, { details: { port } });
  }

  items.forEach((item: unknown, index) => {
    const json = typeof item === 'object' && item !== null ? (item as { json?: unknown }).json : undefined;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ExtensionError('invalid_output', `Item ${index} of output port "${port}" must be an object with a "json" object, such as { json: { id: 1 } }.`, {
        details: { port, index },
      });
    }
  });
  return items as Item[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}
