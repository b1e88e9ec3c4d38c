import { withOutputJson } from '../output-json.js';
import type { ExtensionFailureReason } from '../types.js';
import { SandboxError } from './errors.js';
import { Envelope } from './sandbox-source.js';

/** Maximum number of extension-bundle stack frames kept on a SandboxError. */
const MAX_STACK_FRAMES = 10;

/** Maximum length of an error message or name taken from the sandbox, in characters. */
const MAX_TEXT_CHARS = 4096;

/** A failed outcome of one invocation, before it becomes an `ExtensionCallError`. */
export interface CallFailure {
  reason: ExtensionFailureReason;
  /** Detail after the contribution label, e.g. `TypeError: x is undefined`. */
  detail: string;
  cause?: Error;
}

export type DecodedResult = { ok: true; value: unknown } | { ok: false; failure: CallFailure };

/**
 * Parses JSON that came out of a sandbox. JSON.parse never changes prototypes, but an own
 * `__proto__` key would turn into a prototype change as soon as kernel code copies the value
 * with `Object.assign` or a naive deep merge, so such keys are rejected here.
 *
 * @throws SyntaxError for invalid JSON, TypeError for a `__proto__` key.
 */
export function parseSandboxJson(json: string): unknown {
  if (!json.includes('"__proto__"')) return JSON.parse(json);

  return JSON.parse(json, (key, value: unknown) => {
    if (key === '__proto__') throw new TypeError('contains a "__proto__" key, which the kernel rejects to rule out prototype pollution');
    return value;
  });
}

/** Encodes a HostBridge result for `settleHostCall`. Throws when the value is not JSON. */
export function encodeHostResult(value: unknown): string {
  if (value === undefined) return Envelope.undefined;

  const json = JSON.stringify(value);
  if (typeof json !== 'string') throw new TypeError(`the host returned a ${typeof value}, which JSON cannot represent`);
  return Envelope.result + json;
}

/**
 * Encodes a HostBridge rejection for `settleHostCall`: only the message and a MifyError
 * `code` cross into the sandbox, never the kernel stack.
 */
export function encodeHostError(error: unknown): string {
  const message = error instanceof Error ? error.message : `Host call failed: ${String(error)}`;
  const code = error !== null && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
  return Envelope.error + JSON.stringify({ message: truncate(message, MAX_TEXT_CHARS), code });
}

/**
 * Decodes the string the sandbox dispatcher returns for one invocation.
 *
 * @param maxOutputChars - the cap the sandbox already enforced, checked again here
 */
export function decodeDispatchResult(envelope: unknown, bundleUrl: string, maxOutputChars: number): DecodedResult {
  if (typeof envelope !== 'string' || envelope.length === 0) {
    return { ok: false, failure: { reason: 'crashed', detail: 'the sandbox dispatcher returned no result envelope' } };
  }
  if (envelope.length > maxOutputChars + 1) {
    return { ok: false, failure: { reason: 'invalid_output', detail: `output exceeds ${maxOutputChars} characters of JSON` } };
  }

  const tag = envelope[0];
  const body = envelope.slice(1);
  switch (tag) {
    case Envelope.undefined:
      return { ok: true, value: undefined };
    case Envelope.result:
      try {
        // The sandbox bootstrap writes every result with the JSON.stringify it captured before any extension code ran.
        return { ok: true, value: withOutputJson(parseSandboxJson(body), body, { stringified: true }) };
      } catch (error) {
        return { ok: false, failure: { reason: 'invalid_output', detail: `output ${(error as Error).message}` } };
      }
    case Envelope.invalidOutput:
      return { ok: false, failure: { reason: 'invalid_output', detail: `output ${parseText(body)}` } };
    case Envelope.notFound:
      return { ok: false, failure: { reason: 'not_found', detail: parseText(body) } };
    case Envelope.error:
      return { ok: false, failure: decodeThrown(body, bundleUrl) };
    default:
      return { ok: false, failure: { reason: 'crashed', detail: `the sandbox dispatcher returned an unknown envelope tag ${JSON.stringify(tag)}` } };
  }
}

function decodeThrown(body: string, bundleUrl: string): CallFailure {
  let thrown: { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
  try {
    thrown = JSON.parse(body) as typeof thrown;
  } catch {
    thrown = {};
  }

  const name = typeof thrown.name === 'string' ? truncate(thrown.name, 200) : 'Error';
  const message = typeof thrown.message === 'string' ? truncate(thrown.message, MAX_TEXT_CHARS) : '';
  const frames = typeof thrown.stack === 'string' ? sandboxFrames(thrown.stack, bundleUrl) : [];
  const cause = new SandboxError(name, message, [`${name}: ${message}`, ...frames].join('\n'));
  if (typeof thrown.code === 'string' && thrown.code !== '') cause.code = truncate(thrown.code, 100);

  // V8 throws this RangeError when an ArrayBuffer allocation would pass the isolate's limit.
  if (name === 'RangeError' && message === 'Array buffer allocation failed') {
    return { reason: 'memory', detail: `could not allocate an ArrayBuffer within the isolate's heap limit (${name}: ${message})`, cause };
  }
  return { reason: 'threw', detail: message === '' ? name : `${name}: ${message}`, cause };
}

/**
 * Keeps the stack lines that point into the extension bundle, at most MAX_STACK_FRAMES of
 * them, so errors show the author's frames and none of the bootstrap's.
 */
export function sandboxFrames(stack: string, bundleUrl: string): string[] {
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    if (frames.length === MAX_STACK_FRAMES) break;
    if (line.startsWith('    at ') && line.includes(bundleUrl)) frames.push(truncate(line, 500));
  }
  return frames;
}

function parseText(body: string): string {
  try {
    const text: unknown = JSON.parse(body);
    return typeof text === 'string' ? truncate(text, MAX_TEXT_CHARS) : 'failed for an unknown reason';
  } catch {
    return 'failed for an unknown reason';
  }
}

function truncate(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
