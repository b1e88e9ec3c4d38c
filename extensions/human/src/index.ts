import { defineExtension } from '@mify/sdk';

/** One item as nodes receive and return it. */
interface Item {
  json: Record<string, unknown>;
  binary?: Record<string, unknown>;
}

/** How the kernel reports the end of a wait, as `input.resume`. */
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

/** Longest wait a node may set: one year, in minutes. */
const MAX_TIMEOUT_MINUTES = 525_600;

/** Thrown for a parameter the node cannot use; the message names it and the fix. */
class ParameterError extends Error {}

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

/** `timeoutMinutes` as an ISO deadline from now, or undefined for no deadline. */
function deadline(parameters: Record<string, unknown>): string | undefined {
  const value = parameters.timeoutMinutes;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MINUTES) {
    throw new ParameterError(`parameter timeoutMinutes must be a number of minutes above 0 and at most ${MAX_TIMEOUT_MINUTES} (one year), or empty for no deadline; got ${JSON.stringify(value)}`);
  }
  return new Date(Date.now() + value * 60_000).toISOString();
}

function choice<T extends string>(parameters: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const value = parameters[name] ?? fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) throw new ParameterError(`parameter ${name} must be one of ${allowed.map((entry) => `"${entry}"`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** The review as recorded on each item under `review`. */
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
  if (!Array.isArray(fields) || fields.length === 0) throw new ParameterError('parameter fields must list at least one field, such as [{ "name": "budget", "type": "number", "required": true }]');
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  fields.forEach((raw: unknown, index) => {
    const field = raw as FormField;
    if (typeof field !== 'object' || field === null || typeof field.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(field.name)) {
      throw new ParameterError(`fields[${index}] needs a name made of letters, digits and underscores, starting with a letter; got ${JSON.stringify(raw)}`);
    }
    if (field.name in properties) throw new ParameterError(`fields[${index}] repeats the name "${field.name}"; give each field its own name`);
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
      throw new ParameterError(`fields[${index}] ("${field.name}") has type ${JSON.stringify(type)}; use "string", "number", "boolean" or "select"`);
    }
    if (field.required) required.push(field.name);
  });
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The second call of a gate: routes items by the decision, or applies `onTimeout` when the deadline passed. */
function decide(input: NodeInput, extra: (items: Item[]) => Item[]): Record<string, Item[]> {
  const resume = input.resume!;
  let outcome: string = resume.outcome;
  if (outcome === 'expired') {
    const onTimeout = choice(input.parameters, 'onTimeout', ['reject', 'approve', 'fail'] as const, 'reject');
    if (onTimeout === 'fail') throw new Error(`node '${input.node.name}' was not reviewed before its deadline (timeoutMinutes); the run fails because onTimeout is "fail"`);
    outcome = onTimeout === 'approve' ? 'approved' : 'rejected';
  }
  const source = resume.items ?? input.items;
  const withReview = flag(input.parameters, 'includeReview', true) ? source.map((item) => ({ ...item, json: { ...item.json, review: review(resume, outcome) } })) : source;
  const items = extra(withReview);
  return outcome === 'approved' ? { approved: items, rejected: [] } : { approved: [], rejected: items };
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
          throw new Error(`node '${input.node.name}' was not resumed before its deadline (timeoutMinutes); the run fails because onTimeout is "fail"`);
        }
        return { items: input.items };
      },
    },
    'mify.human.review-gate': {
      async execute(_ctx: unknown, input: NodeInput) {
        if (!input.resume) {
          const until = deadline(input.parameters);
          const title = optionalString(input.parameters, 'title') ?? `Review ${input.items.length} item${input.items.length === 1 ? '' : 's'} from ${input.node.name}`;
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
          const title = optionalString(input.parameters, 'title') ?? `Approve ${input.items.length} item${input.items.length === 1 ? '' : 's'} from ${input.node.name}`;
          const instructions = optionalString(input.parameters, 'instructions');
          return { wait: { kind: 'approval', title, ...(instructions ? { instructions } : {}), items: input.items, allowEdit: false, form, ...(until ? { until } : {}) } };
        }
        const values = input.resume.form ?? {};
        return decide(input, (items) => items.map((item) => ({ ...item, json: { ...item.json, form: values } })));
      },
    },
  },
});
