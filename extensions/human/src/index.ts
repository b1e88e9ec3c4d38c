import { defineExtension } from '@mify/sdk';

/** One item as nodes receive and return it. */
interface Item {
  json: Record<string, unknown>;
  binary?: Record<string, unknown>;
}

/** End of a wait, as the kernel passes it to the node in `input.resume`. */
interface Resume {
  waitId: string;
  kind: 'approval' | 'timer' | 'resume';
  outcome: 'approved' | 'rejected' | 'resumed' | 'elapsed' | 'expired';
  items?: Item[];
  form?: Record<string, unknown>;
  comment: string | null;
  decidedBy: string | null;
  decidedAt: string;
}

interface NodeInput {
  items: Item[];
  parameters: Record<string, unknown>;
  resume?: Resume;
  node: { name: string };
}

/** Maximum wait a node may set, in minutes: 365 days. */
const MAX_TIMEOUT_MINUTES = 525_600;

/** Error for an invalid node parameter. The message names the parameter and the fix. */
class ParameterError extends Error {}

/** Count of items with the noun in singular or plural, such as "1 item" or "3 items". */
function itemCount(items: Item[]): string {
  return items.length === 1 ? '1 item' : `${items.length} items`;
}

function optionalString(parameters: Record<string, unknown>, name: string): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ParameterError(`parameter ${name} must be text, got ${JSON.stringify(value)}`);
  return value;
}

function flag(parameters: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = parameters[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new ParameterError(`parameter ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Converts `timeoutMinutes` into an ISO 8601 deadline from now. Returns undefined when no deadline is set. */
function deadline(parameters: Record<string, unknown>): string | undefined {
  const value = parameters.timeoutMinutes;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MINUTES) {
    throw new ParameterError(`invalid parameter timeoutMinutes: ${JSON.stringify(value)}. Set a number of minutes above 0 and at most ${MAX_TIMEOUT_MINUTES} (365 days), or leave it empty for no deadline`);
  }
  return new Date(Date.now() + value * 60_000).toISOString();
}

function choice<T extends string>(parameters: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const value = parameters[name] ?? fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) throw new ParameterError(`parameter ${name} must be one of ${allowed.map((entry) => `"${entry}"`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** Builds the review record that is added to each item under `review`. */
function review(resume: Resume, outcome: string): Record<string, unknown> {
  return { outcome, comment: resume.comment, reviewer: resume.decidedBy, decidedAt: resume.decidedAt, waitId: resume.waitId };
}

interface FormField {
  name: string;
  label?: string;
  type?: 'string' | 'number' | 'boolean' | 'select';
  required?: boolean;
  options?: string[];
  description?: string;
}

/** Builds the JSON Schema of an approval form from its field list. */
export function formSchema(fields: unknown): Record<string, unknown> {
  if (!Array.isArray(fields) || fields.length === 0) {
    throw new ParameterError('missing parameter fields: list at least one field, such as [{ "name": "budget", "type": "number", "required": true }]');
  }
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  fields.forEach((raw: unknown, index) => {
    const field = raw as FormField;
    if (typeof field !== 'object' || field === null || typeof field.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(field.name)) {
      throw new ParameterError(`invalid fields[${index}]: ${JSON.stringify(raw)}. Give it a name of letters, digits and underscores that starts with a letter or underscore`);
    }
    if (field.name in properties) throw new ParameterError(`invalid fields[${index}]: the name "${field.name}" is already used. Give each field its own name`);
    const type = field.type ?? 'string';
    const base: Record<string, unknown> = { title: field.label ?? field.name };
    if (field.description) base.description = field.description;
    if (type === 'select') {
      if (!Array.isArray(field.options) || field.options.length === 0 || !field.options.every((option) => typeof option === 'string')) {
        throw new ParameterError(`fields[${index}] ("${field.name}") is a select and needs options, a list of texts such as ["low", "high"]`);
      }
      properties[field.name] = { ...base, type: 'string', enum: field.options };
    } else if (type === 'string' || type === 'number' || type === 'boolean') {
      properties[field.name] = { ...base, type };
    } else {
      throw new ParameterError(`invalid fields[${index}] ("${field.name}"): type ${JSON.stringify(type)} is not supported. Use "string", "number", "boolean" or "select"`);
    }
    if (field.required) required.push(field.name);
  });
  return { type: 'object', properties, required, additionalProperties: false };
}

/**
 * Routes a gate's items to `approved` or `rejected` on its second call, by the decision or, when
 * the deadline passed, by `onTimeout`. `extra` adds node-specific fields to the items.
 */
function decide(input: NodeInput, extra: (items: Item[]) => Item[]): Record<string, Item[]> {
  const resume = input.resume!;
  let outcome: string = resume.outcome;
  if (outcome === 'expired') {
    const onTimeout = choice(input.parameters, 'onTimeout', ['reject', 'approve', 'fail'] as const, 'reject');
    if (onTimeout === 'fail') {
      throw new Error(`node '${input.node.name}' was not reviewed before its deadline (timeoutMinutes), and the run fails because onTimeout is "fail"`);
    }
    outcome = onTimeout === 'approve' ? 'approved' : 'rejected';
  }
  const source = resume.items ?? input.items;
  let withReview = source;
  if (flag(input.parameters, 'includeReview', true)) {
    withReview = source.map((item) => ({ ...item, json: { ...item.json, review: review(resume, outcome) } }));
  }

  const items = extra(withReview);
  if (outcome === 'approved') return { approved: items, rejected: [] };
  return { approved: [], rejected: items };
}

export default defineExtension({
  nodes: {
    'mify.human.pause': {
      async execute(_ctx: unknown, input: NodeInput) {
        if (!input.resume) {
          const until = deadline(input.parameters);
          const message = optionalString(input.parameters, 'message');
          return { wait: { kind: 'resume', ...(message ? { title: message } : {}), ...(until ? { until } : {}) } };
        }
        if (input.resume.outcome === 'expired' && choice(input.parameters, 'onTimeout', ['continue', 'fail'] as const, 'continue') === 'fail') {
          throw new Error(`node '${input.node.name}' was not resumed before its deadline (timeoutMinutes), and the run fails because onTimeout is "fail"`);
        }
        return { items: input.items };
      },
    },
    'mify.human.review-gate': {
      async execute(_ctx: unknown, input: NodeInput) {
        if (!input.resume) {
          const until = deadline(input.parameters);
          const title = optionalString(input.parameters, 'title') ?? `Review ${itemCount(input.items)} from ${input.node.name}`;
          const instructions = optionalString(input.parameters, 'instructions');
          return { wait: { kind: 'approval', title, ...(instructions ? { instructions } : {}), items: input.items, allowEdit: flag(input.parameters, 'allowEdit', true), ...(until ? { until } : {}) } };
        }
        return decide(input, (items) => items);
      },
    },
    'mify.human.approval-form': {
      async execute(_ctx: unknown, input: NodeInput) {
        const form = formSchema(input.parameters.fields);
        if (!input.resume) {
          const until = deadline(input.parameters);
          const title = optionalString(input.parameters, 'title') ?? `Approve ${itemCount(input.items)} from ${input.node.name}`;
          const instructions = optionalString(input.parameters, 'instructions');
          return { wait: { kind: 'approval', title, ...(instructions ? { instructions } : {}), items: input.items, allowEdit: false, form, ...(until ? { until } : {}) } };
        }
        const values = input.resume.form ?? {};
        return decide(input, (items) => items.map((item) => ({ ...item, json: { ...item.json, form: values } })));
      },
    },
  },
});
