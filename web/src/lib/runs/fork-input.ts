import type { RunItem, RunStep } from '$lib/api-types';

/** Returns a step's key, `<nodeId>:<activation>`, which replay and fork name the step by. */
export function stepKeyOf(step: Pick<RunStep, 'nodeId' | 'activation'>): string {
  return `${step.nodeId}:${step.activation}`;
}

/** Returns the first input port of a step and its recorded items, which a fork's `input` replaces. */
export function firstInputPort(step: Pick<RunStep, 'input'>): { port: string; items: RunItem[] } | null {
  const ports = step.input?.ports;
  if (!ports) return null;
  const port = Object.keys(ports)[0];
  return port === undefined ? null : { port, items: ports[port] ?? [] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the edited input of a fork: a JSON array of items (`{ "json": { … } }`),
 * where a plain object counts as an item's `json`. Returns the items, or a
 * message naming what is wrong.
 *
 * @example
 * parseForkInput('[{ "text": "hi" }]'); // { ok: true, items: [{ json: { text: 'hi' } }] }
 */
export function parseForkInput(text: string): { ok: true; items: RunItem[] } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `The input is not valid JSON (${(error as Error).message}). Write an array of items such as [{ "json": { "text": "hello" } }].` };
  }
  if (!Array.isArray(value)) return { ok: false, message: 'The input must be a JSON array of items, such as [{ "json": { "text": "hello" } }].' };

  const items: RunItem[] = [];
  for (const [index, entry] of value.entries()) {
    if (!isRecord(entry)) return { ok: false, message: `Item ${index + 1} must be an object; got ${JSON.stringify(entry)}.` };
    if ('json' in entry) {
      if (!isRecord(entry.json)) return { ok: false, message: `Item ${index + 1} has a "json" field that is not an object; give it an object such as { "text": "hello" }.` };
      items.push(entry as unknown as RunItem);
    } else {
      items.push({ json: entry });
    }
  }
  return { ok: true, items };
}
