import { z } from 'zod';
import { jsonByteLength } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum length of one log message, in UTF-16 code units; longer ones are cut and marked. */
export const MAX_LOG_MESSAGE_CHARS = 4_096;

/** Maximum size of the `fields` of one log line, in bytes of UTF-8 JSON; larger ones are replaced by a note. */
export const MAX_LOG_FIELDS_BYTES = 8 * 1024;

/** Log lines one extension may write per window, in this process; the rest are counted and dropped. */
export const MAX_LOG_LINES_PER_WINDOW = 200;

/** Length of the log rate-limit window, in milliseconds. */
export const LOG_WINDOW_MS = 10_000;

type Level = 'debug' | 'info' | 'warn' | 'error';

interface LogWindow {
  startedAt: number;
  lines: number;
  suppressed: number;
}

/**
 * Rate-limit windows by extension id. The limit is per process: it protects this process's
 * log output, and it needs no round trip to shared state on every line.
 */
const windows = new Map<string, LogWindow>();

/** Decides whether a line may be written; returns how many lines were dropped in the window that just ended. */
function admitLine(extensionId: string, now: number): { admitted: boolean; suppressedBefore: number } {
  let window = windows.get(extensionId);
  let suppressedBefore = 0;
  if (window === undefined || now - window.startedAt >= LOG_WINDOW_MS) {
    suppressedBefore = window?.suppressed ?? 0;
    window = { startedAt: now, lines: 0, suppressed: 0 };
    windows.set(extensionId, window);
  }

  if (window.lines >= MAX_LOG_LINES_PER_WINDOW) {
    window.suppressed += 1;
    return { admitted: false, suppressedBefore };
  }
  window.lines += 1;
  return { admitted: true, suppressedBefore };
}

function truncateMessage(message: string): string {
  if (message.length <= MAX_LOG_MESSAGE_CHARS) return message;
  return `${message.slice(0, MAX_LOG_MESSAGE_CHARS)}… [truncated ${message.length - MAX_LOG_MESSAGE_CHARS} characters]`;
}

async function writeLine(level: Level, message: string, fields: Record<string, unknown> | undefined, scope: HostCallScope): Promise<{ logged: boolean }> {
  const { admitted, suppressedBefore } = admitLine(scope.context.extensionId, performance.now());
  if (suppressedBefore > 0) {
    scope.logger.warn({ suppressedLines: suppressedBefore, windowMs: LOG_WINDOW_MS }, `extension log lines over the limit of ${MAX_LOG_LINES_PER_WINDOW} per window were dropped`);
  }
  if (!admitted) return { logged: false };

  // Extension fields sit under `fields` so they cannot overwrite extensionId, level or time.
  const bindings: Record<string, unknown> = { source: 'extension' };
  if (fields !== undefined) {
    const size = jsonByteLength(fields);
    bindings.fields = size <= MAX_LOG_FIELDS_BYTES ? fields : { omitted: `fields were ${size} bytes of JSON; the maximum is ${MAX_LOG_FIELDS_BYTES}` };
  }
  scope.logger[level](bindings, truncateMessage(message));
  return { logged: true };
}

function logMethod(level: Level): HostMethod {
  return defineHostMethod({
    name: `log.${level}`,
    permission: null,
    parameters: {
      message: z.string(),
      fields: z.record(z.string(), z.json()).optional(),
    },
    run: ({ message, fields }, scope) => writeLine(level, message, fields, scope),
  });
}

/** `log.debug`, `log.info`, `log.warn` and `log.error`: always allowed, written to the kernel's pino log. */
export const logMethods: HostMethod[] = (['debug', 'info', 'warn', 'error'] as const).map(logMethod);
