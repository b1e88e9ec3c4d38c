import ivm from 'isolated-vm';
import { z } from 'zod';
import { MifyError } from '../../errors.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum length of the user's source, in characters. */
export const MAX_CODE_SOURCE_CHARS = 100_000;

/** Maximum number of function calls one `code.run` makes, one per argument list. */
export const MAX_CODE_CALLS = 10_000;

/** Maximum number of named function parameters. */
export const MAX_CODE_PARAMETERS = 16;

/** Default time limit of one `code.run` for all its calls together, in milliseconds. */
export const DEFAULT_CODE_TIMEOUT_MS = 1_000;

/** Maximum time limit a caller may set, in milliseconds. */
export const MAX_CODE_TIMEOUT_MS = 30_000;

/** Default heap limit of the code's isolate, in MiB. */
export const DEFAULT_CODE_MEMORY_LIMIT_MB = 32;

/** Minimum heap limit that isolated-vm 5.0.4 accepts, in MiB. */
export const MIN_CODE_MEMORY_LIMIT_MB = 8;

/** Maximum heap limit a caller may set, in MiB. */
export const MAX_CODE_MEMORY_LIMIT_MB = 128;

/** Maximum size of the results, as JSON text in UTF-16 code units (8 Mi). Checked inside the isolate. */
export const MAX_CODE_RESULT_CHARS = 8 * 1024 * 1024;

/** Maximum console lines stored per run. Later lines are counted and dropped. */
export const MAX_CODE_LOG_LINES = 100;

/** Maximum length of one console line, in characters. */
export const MAX_CODE_LOG_LINE_CHARS = 1_000;

/**
 * Maximum code isolates that may exist at once in this process. Further calls wait for a free
 * slot. The limit bounds the memory that user code can take, because each isolate may use up
 * to its heap limit, and isolated-vm warns that hostile code can pass that limit 2 to 3 times
 * before it stops.
 */
export const MAX_CONCURRENT_CODE_RUNS = 4;

/** File name of the user's source in stack traces and messages. */
const SOURCE_FILE = 'user-code.js';

/** isolated-vm 5.0.4 rejects a run that passed its `timeout` option with exactly this message. */
const TIMED_OUT_MESSAGE = 'Script execution timed out.';

/** Start of the message of an error the driver raises for a result that is not JSON. */
const INVALID_RESULT_MARKER = '[invalid result] ';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const runRequest = z
  .object({
    source: z.string().max(MAX_CODE_SOURCE_CHARS),
    parameterNames: z.array(z.string().regex(IDENTIFIER, 'must be a JavaScript identifier such as items')).max(MAX_CODE_PARAMETERS).default([]),
    calls: z.array(z.array(z.json())).min(1).max(MAX_CODE_CALLS),
    timeoutMs: z.number().int().min(1).max(MAX_CODE_TIMEOUT_MS).default(DEFAULT_CODE_TIMEOUT_MS),
    memoryLimitMb: z.number().int().min(MIN_CODE_MEMORY_LIMIT_MB).max(MAX_CODE_MEMORY_LIMIT_MB).default(DEFAULT_CODE_MEMORY_LIMIT_MB),
  })
  .strict()
  .superRefine((request, context) => {
    request.calls.forEach((args, index) => {
      if (args.length > request.parameterNames.length) {
        context.addIssue({ code: 'custom', path: ['calls', index], message: `has ${args.length} arguments but parameterNames lists ${request.parameterNames.length}` });
      }
    });
  });

type RunRequest = z.output<typeof runRequest>;

/** Result of `code.run`: one JSON value per call, and the console lines the code wrote. */
export interface CodeRunResult {
  results: unknown[];
  logs: string[];
  /** Console lines dropped past MAX_CODE_LOG_LINES. */
  droppedLogLines: number;
}

/**
 * A failure of the user's code. Codes: `code_syntax_error`, `code_threw`, `code_timeout`,
 * `code_memory`, `code_invalid_result`. `line` and `column` are 1-based positions in the
 * user's source, when known.
 */
export class CodeRunError extends MifyError {
  constructor(code: string, message: string, position?: { line: number; column: number }) {
    super(code, 422, message, position ? { line: position.line, column: position.column } : undefined);
    this.name = 'CodeRunError';
  }
}

/**
 * Script run in the fresh context before the user's code. It evaluates to the driver
 * `(fn, callsJson) => json`, which calls `fn` once per argument list and checks that every
 * result is plain JSON. The built-ins it uses are captured before the user's code runs.
 * Messages of the driver's own errors start with INVALID_RESULT_MARKER, because isolated-vm
 * copies only the message and stack of an error out of the isolate.
 */
const DRIVER_SOURCE = String.raw`
(function createDriver(maxResultChars, maxLogLines, maxLogLineChars) {
  'use strict';
  const JsonParse = JSON.parse;
  const JsonStringify = JSON.stringify;
  const getPrototypeOf = Object.getPrototypeOf;
  const ObjectPrototype = Object.prototype;
  const isArray = Array.isArray;
  const keys = Object.keys;
  const toText = String;
  const INVALID = '${INVALID_RESULT_MARKER}';
  const logs = [];
  let dropped = 0;

  function write(level) {
    return function (...values) {
      if (logs.length >= maxLogLines) { dropped++; return; }
      let line = values.map((value) => {
        if (typeof value === 'string') return value;
        try { return JsonStringify(value) ?? toText(value); } catch { return toText(value); }
      }).join(' ');
      if (line.length > maxLogLineChars) line = line.slice(0, maxLogLineChars) + '…';
      logs.push(level === 'log' ? line : level + ': ' + line);
    };
  }
  globalThis.console = { log: write('log'), info: write('info'), warn: write('warn'), error: write('error'), debug: write('debug') };

  function invalid(path, description, fix) {
    return new Error(INVALID + path + ' is ' + description + ', which JSON cannot represent; ' + fix);
  }

  function check(value, path, seen) {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (value !== value || value === Infinity || value === -Infinity) throw invalid(path, toText(value), 'return a finite number or null');
      return;
    }
    if (value === undefined) throw invalid(path, 'undefined', 'return null or leave the field out');
    if (typeof value === 'function') throw invalid(path, 'a function', 'return data, not a function');
    if (typeof value === 'bigint') throw invalid(path, 'a BigInt', 'convert it with Number() or String()');
    if (typeof value === 'symbol') throw invalid(path, 'a symbol', 'return a string instead');
    if (seen.indexOf(value) !== -1) throw invalid(path, 'a circular reference', 'return a copy without the cycle');
    const proto = getPrototypeOf(value);
    if (isArray(value)) {
      seen.push(value);
      for (let index = 0; index < value.length; index++) check(value[index], path + '[' + index + ']', seen);
      seen.pop();
      return;
    }
    if (proto !== ObjectPrototype && proto !== null) {
      if (value instanceof Date) throw invalid(path, 'a Date', 'return date.toISOString()');
      if (value instanceof Promise) throw invalid(path, 'a Promise', 'the code runs synchronously, so return the value itself');
      const className = (value.constructor && value.constructor.name) || 'a class';
      throw invalid(path, 'an instance of ' + className, 'return a plain object or array');
    }
    seen.push(value);
    for (const key of keys(value)) check(value[key], path + '.' + key, seen);
    seen.pop();
  }

  return function drive(fn, callsJson) {
    const calls = JsonParse(callsJson);
    const results = [];
    for (let index = 0; index < calls.length; index++) {
      const value = fn.apply(undefined, calls[index]);
      check(value, calls.length === 1 ? 'the result' : 'the result of call ' + index, []);
      results.push(value);
    }
    const text = JsonStringify({ results, logs, droppedLogLines: dropped });
    if (text.length > maxResultChars) {
      throw new Error(INVALID + 'the results are ' + text.length + ' characters of JSON; the maximum is ' + maxResultChars + '; return less data');
    }
    return text;
  };
})`;

/** A counting semaphore for MAX_CONCURRENT_CODE_RUNS. */
class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}

const slots = new Slots(MAX_CONCURRENT_CODE_RUNS);

/** Finds the first `user-code.js:<line>:<column>` position in a stack or message. */
function sourcePosition(text: string | undefined): { line: number; column: number } | undefined {
  const match = new RegExp(`${SOURCE_FILE.replace('.', '\\.')}:(\\d+):(\\d+)`).exec(text ?? '');
  if (!match) return undefined;
  return { line: Number(match[1]), column: Number(match[2]) };
}

function at(position: { line: number; column: number } | undefined): string {
  return position ? ` at line ${position.line}, column ${position.column}` : '';
}

/** Turns an error that isolated-vm raised while running the code into a CodeRunError. */
function classifyFailure(error: unknown, isolate: ivm.Isolate, request: RunRequest): CodeRunError {
  const message = error instanceof Error ? error.message : String(error);

  // isolated-vm disposes an isolate on its own only when it passes its memory limit.
  if (isolate.isDisposed || message.includes('memory limit')) {
    return new CodeRunError('code_memory', `The code used more than its memory limit of ${request.memoryLimitMb} MiB. Process less data per run, or raise the memory limit (at most ${MAX_CODE_MEMORY_LIMIT_MB} MiB).`);
  }
  if (message === TIMED_OUT_MESSAGE) {
    return new CodeRunError('code_timeout', `The code did not finish within its time limit of ${request.timeoutMs} ms. Look for an endless loop, or raise the time limit (at most ${MAX_CODE_TIMEOUT_MS} ms).`);
  }

  if (message.startsWith(INVALID_RESULT_MARKER)) {
    return new CodeRunError('code_invalid_result', `The code returned invalid output: ${message.slice(INVALID_RESULT_MARKER.length)}.`);
  }
  const name = error instanceof Error ? error.name : 'Error';
  const position = sourcePosition(error instanceof Error ? error.stack : undefined);
  return new CodeRunError('code_threw', `The code threw ${name}: ${message}${at(position)}.`, position);
}

/**
 * Runs `source` as the body of a function with the parameters `parameterNames`, once per
 * argument list in `calls`, in a fresh isolate of its own that is disposed afterwards. The
 * isolate has the JavaScript built-ins and `Intl`, plus a `console` whose lines are returned.
 * It has no host API, timers, modules or network. Arguments and results are JSON only.
 *
 * @throws CodeRunError when the code does not compile, throws, passes its time or memory
 * limit, or returns a value that is not plain JSON.
 */
export async function runCode(request: RunRequest): Promise<CodeRunResult> {
  await slots.acquire();
  const isolate = new ivm.Isolate({ memoryLimit: request.memoryLimitMb });
  try {
    const context = await isolate.createContext();
    const createDriver = await context.eval(DRIVER_SOURCE, { reference: true, timeout: request.timeoutMs });
    const drive = (await createDriver.apply(undefined, [MAX_CODE_RESULT_CHARS, MAX_CODE_LOG_LINES, MAX_CODE_LOG_LINE_CHARS], { result: { reference: true }, timeout: request.timeoutMs })) as ivm.Reference<(...args: unknown[]) => string>;

    // The wrapper's first line contains the function head, so lineOffset -1 keeps the line
    // numbers of stack traces and syntax errors equal to those of the user's source.
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(`(function (${request.parameterNames.join(', ')}) {\n${request.source}\n})`, { filename: SOURCE_FILE, lineOffset: -1 });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const position = sourcePosition(message);
      const plain = message.replace(/\s*\[user-code\.js:\d+:\d+\]$/, '');
      throw new CodeRunError('code_syntax_error', `The code does not compile: SyntaxError: ${plain}${at(position)}.`, position);
    }
    const fn = await script.run(context, { reference: true, timeout: request.timeoutMs });

    let text: unknown;
    try {
      text = await drive.apply(undefined, [fn.derefInto(), JSON.stringify(request.calls)], { timeout: request.timeoutMs });
    } catch (error) {
      throw classifyFailure(error, isolate, request);
    }
    if (typeof text !== 'string') throw new CodeRunError('code_invalid_result', 'The code replaced the runner inside its isolate, so it returned no results.');
    return JSON.parse(text) as CodeRunResult;
  } catch (error) {
    if (error instanceof CodeRunError) throw error;
    throw classifyFailure(error, isolate, request);
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
    slots.release();
  }
}

async function runForExtension(request: RunRequest, scope: HostCallScope): Promise<CodeRunResult> {
  const startedAt = performance.now();
  try {
    const result = await runCode(request);
    scope.logger.debug({ calls: request.calls.length, durationMs: Math.round(performance.now() - startedAt) }, 'user code ran');
    return result;
  } catch (error) {
    if (error instanceof CodeRunError) scope.logger.debug({ code: error.code, durationMs: Math.round(performance.now() - startedAt) }, 'user code failed');
    throw error;
  }
}

/**
 * `code.run`: runs user JavaScript in a fresh isolate with its own memory and time limits.
 * Extensions already run inside an isolate and cannot create one, so the kernel creates it.
 * Requires the `code:run` permission.

 */
export const codeMethods: HostMethod[] = [
  defineHostMethod({
    name: 'code.run',
    permission: 'code:run',
    parameters: { request: runRequest },
    run: ({ request }, scope) => runForExtension(request, scope),
  }),
];
