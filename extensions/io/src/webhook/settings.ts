/**
 * Parameters of the webhook trigger. The kernel reads the same parameters from the published
 * graph to route requests, so these checks mirror its rules: a literal path of letters,
 * digits, `-` and `_` segments, and methods from a fixed set.
 */
import { invalidParameter } from '../errors.js';
import { enumParameter, integerParameter, optionalString } from '../lib/parameters.js';

export const WEBHOOK_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

export const AUTHENTICATION_MODES = ['none', 'apiKey', 'headerSecret'] as const;
export const RESPONSE_MODES = ['onReceived', 'lastNode', 'responseNode'] as const;

/** Maximum length of a webhook path, in characters. */
export const MAX_PATH_LENGTH = 200;
/** Default wait in ms of the `lastNode` and `responseNode` modes before the webhook responds with 202. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 120_000;

const PATH_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

export interface WebhookSettings {
  /** Without leading or trailing slashes, such as `orders/new`. */
  path: string;
  methods: WebhookMethod[];
  authentication: (typeof AUTHENTICATION_MODES)[number];
  credential: string | undefined;
  responseMode: (typeof RESPONSE_MODES)[number];
  timeoutMs: number;
}

/** Strips one leading and one trailing slash, as the kernel does before it compares paths. */
export function normalizeWebhookPath(path: string): string {
  return path.replace(/^\//, '').replace(/\/$/, '');
}

function readPath(parameters: Record<string, unknown>): string {
  const raw = optionalString(parameters, 'path');
  if (raw === undefined) throw invalidParameter("Parameter 'path' is required; set it to the path after /api/webhooks/<workspace>/, such as orders/new.");
  if (raw.includes('{{') || raw.startsWith('=')) {
    throw invalidParameter(`Parameter 'path' is an expression (${JSON.stringify(raw.slice(0, 80))}); the kernel routes requests by the published value, so write a fixed path such as orders/new.`);
  }

  const path = normalizeWebhookPath(raw);
  if (path.length > MAX_PATH_LENGTH || !PATH_PATTERN.test(path)) {
    throw invalidParameter(`Parameter 'path' is ${JSON.stringify(raw.slice(0, 80))}; expected up to ${MAX_PATH_LENGTH} characters of segments made of letters, digits, '-' and '_', separated by '/', such as orders/new.`);
  }
  return path;
}

function readMethods(parameters: Record<string, unknown>): WebhookMethod[] {
  const value = parameters.methods;
  if (value === undefined || value === null || value === '') return ['POST'];

  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) throw invalidParameter(`Parameter 'methods' must be a non-empty list of ${WEBHOOK_METHODS.join(', ')}, got ${JSON.stringify(value)}.`);
  const methods: WebhookMethod[] = [];
  for (const entry of list) {
    const method = typeof entry === 'string' ? entry.toUpperCase() : entry;
    if (!WEBHOOK_METHODS.includes(method as WebhookMethod)) throw invalidParameter(`Parameter 'methods' contains ${JSON.stringify(entry)}; allowed methods are ${WEBHOOK_METHODS.join(', ')}.`);
    if (!methods.includes(method as WebhookMethod)) methods.push(method as WebhookMethod);
  }
  return methods;
}

/** Reads and checks the webhook trigger's parameters. */
export function readWebhookSettings(parameters: Record<string, unknown>): WebhookSettings {
  const authentication = enumParameter(parameters, 'authentication', AUTHENTICATION_MODES, 'none');
  const credential = optionalString(parameters, 'credential');
  if (authentication === 'headerSecret' && credential === undefined) {
    throw invalidParameter("Parameter 'credential' is required when authentication is headerSecret; name a mify.io.http-header credential whose headers hold the expected header name and secret value.");
  }

  return {
    path: readPath(parameters),
    methods: readMethods(parameters),
    authentication,
    credential,
    responseMode: enumParameter(parameters, 'responseMode', RESPONSE_MODES, 'onReceived'),
    timeoutMs: integerParameter(parameters, 'timeoutMs', { min: MIN_TIMEOUT_MS, max: MAX_TIMEOUT_MS, fallback: DEFAULT_TIMEOUT_MS, unit: 'ms' }),
  };
}
