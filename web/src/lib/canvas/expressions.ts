// Completion inside `{{ … }}` parameter expressions. Field names come from the
// items of the latest run, so `{{ $json.` offers the fields the node received.
import type { Item } from './types';

export interface CompletionContext {
  /** The node's input items in the latest run, or the output of the nodes feeding it. */
  inputItems: Item[];
  /** Other nodes of the graph with their output items in the latest run (empty when they did not run). */
  nodes: Array<{ name: string; items: Item[] }>;
  /** The graph's variables, available as `$vars`. */
  variables: Record<string, unknown>;
}

export interface Completion {
  label: string;
  /** Text that replaces the range `from`-`to` of the completion result. */
  insert: string;
  /** A short hint: the type of a sample value, or what a variable is. */
  detail: string;
}

export interface CompletionResult {
  from: number;
  to: number;
  options: Completion[];
}

/** Variables of the expression sandbox, as the kernel's expression evaluator defines them. */
export const ROOT_VARIABLES: ReadonlyArray<{ name: string; insert: string; detail: string }> = [
  { name: '$json', insert: '$json', detail: "current item's JSON" },
  { name: '$input', insert: '$input', detail: 'input items: .item, .all(), .first(), .last()' },
  { name: '$itemIndex', insert: '$itemIndex', detail: 'index of the current item' },
  { name: '$node', insert: '$node["', detail: 'output of a node that ran: $node["Name"].json' },
  { name: '$vars', insert: '$vars', detail: "graph's variables" },
  { name: '$run', insert: '$run', detail: 'id, graphId, workspaceId, startedAt' },
  { name: '$now', insert: '$now', detail: 'current time of the run, ISO 8601' },
  { name: '$today', insert: '$today', detail: 'date part of $now' },
];

const RUN_FIELDS = ['id', 'graphId', 'workspaceId', 'startedAt'];

/** Items whose fields are read to list field names; enough to cover varying shapes without scanning large outputs. */
const SAMPLED_ITEMS = 20;

/** Returns the expression text between the last unclosed `{{` and the caret, or null when the caret is not inside one. */
export function openExpression(text: string, caret: number): string | null {
  const before = text.slice(0, caret);
  const open = before.lastIndexOf('{{');
  if (open === -1 || (open > 0 && before[open - 1] === '\\')) return null;

  const inside = before.slice(open + 2);
  return inside.includes('}}') ? null : inside;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Lists the field names found at `path` in the JSON of the first items, in
 * the order they first appear, with the type of the first value seen.
 */
export function fieldsAt(items: Item[], path: string[]): Array<{ name: string; type: string }> {
  const fields = new Map<string, string>();
  for (const item of items.slice(0, SAMPLED_ITEMS)) {
    let value: unknown = item.json;
    for (const key of path) value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    for (const [name, entry] of Object.entries(value)) if (!fields.has(name)) fields.set(name, describe(entry));
  }
  return [...fields].map(([name, type]) => ({ name, type }));
}

function startsWithIgnoringCase(value: string, prefix: string): boolean {
  return value.toLowerCase().startsWith(prefix.toLowerCase());
}

/** Identifiers are inserted after a dot; other keys need bracket notation. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function fieldOptions(items: Item[], pathText: string, prefix: string, caret: number): CompletionResult {
  const path = pathText.split('.').filter(Boolean);
  const options = fieldsAt(items, path)
    .filter((field) => startsWithIgnoringCase(field.name, prefix))
    .map((field) => ({ label: field.name, insert: IDENTIFIER.test(field.name) ? field.name : `["${field.name.replaceAll('"', '\\"')}"]`, detail: field.type }));
  return { from: caret - prefix.length, to: caret, options };
}

/**
 * Suggests completions for the caret position in a parameter value: fields
 * after `$json.` and `$node["Name"].json.`, node names after `$node["`,
 * variable names after `$vars.`, run fields after `$run.`, and the sandbox's
 * variables after `$`. Returns null outside `{{ … }}` or when nothing fits.
 *
 * @example
 * completeExpression('{{ $json.cu', 11, context);
 * // { from: 9, to: 11, options: [{ label: 'customer', insert: 'customer', detail: 'object' }] }
 */
export function completeExpression(text: string, caret: number, context: CompletionContext): CompletionResult | null {
  const expression = openExpression(text, caret);
  if (expression === null) return null;

  let match = /\$node\[\s*(["'])([^"']*)$/.exec(expression);
  if (match) {
    const [, quote, prefix] = match as unknown as [string, string, string];
    const options = context.nodes
      .filter((node) => startsWithIgnoringCase(node.name, prefix))
      .map((node) => ({ label: node.name, insert: `${node.name}${quote}]`, detail: node.items.length > 0 ? `${node.items.length} items in the latest run` : 'node' }));
    return nonEmpty({ from: caret - prefix.length, to: caret, options });
  }

  match = /(?:\$node\[\s*(["'])([^"']+)\1\s*\]|\$\(\s*(["'])([^"']+)\3\s*\))\.(?:json|item\.json|first\(\)\.json)\.((?:[A-Za-z_$][\w$]*\.)*)([\w$]*)$/.exec(expression);
  if (match) {
    const name = match[2] ?? match[4]!;
    const node = context.nodes.find((entry) => entry.name === name);
    return nonEmpty(fieldOptions(node?.items ?? [], match[5] ?? '', match[6] ?? '', caret));
  }

  match = /\$json\.((?:[A-Za-z_$][\w$]*\.)*)([\w$]*)$/.exec(expression);
  if (match) return nonEmpty(fieldOptions(context.inputItems, match[1] ?? '', match[2] ?? '', caret));

  match = /\$vars\.([\w$]*)$/.exec(expression);
  if (match) {
    const prefix = match[1] ?? '';
    const options = Object.entries(context.variables)
      .filter(([name]) => startsWithIgnoringCase(name, prefix))
      .map(([name, value]) => ({ label: name, insert: name, detail: describe(value) }));
    return nonEmpty({ from: caret - prefix.length, to: caret, options });
  }

  match = /\$run\.([\w$]*)$/.exec(expression);
  if (match) {
    const prefix = match[1] ?? '';
    const options = RUN_FIELDS.filter((name) => startsWithIgnoringCase(name, prefix)).map((name) => ({ label: name, insert: name, detail: 'string' }));
    return nonEmpty({ from: caret - prefix.length, to: caret, options });
  }

  match = /(?:^|[^\w$.\]])(\$[\w$]*)$/.exec(expression);
  if (match) {
    const prefix = match[1]!;
    const options = ROOT_VARIABLES.filter((variable) => variable.name.startsWith(prefix)).map((variable) => ({ label: variable.name, insert: variable.insert, detail: variable.detail }));
    return nonEmpty({ from: caret - prefix.length, to: caret, options });
  }

  return null;
}

function nonEmpty(result: CompletionResult): CompletionResult | null {
  return result.options.length > 0 ? result : null;
}

/** Applies a completion to `text`; returns the new text and the caret after the inserted part. */
export function applyCompletion(text: string, result: Pick<CompletionResult, 'from' | 'to'>, completion: Completion): { text: string; caret: number } {
  const next = text.slice(0, result.from) + completion.insert + text.slice(result.to);
  return { text: next, caret: result.from + completion.insert.length };
}
