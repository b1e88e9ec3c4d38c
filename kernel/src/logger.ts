import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Field names whose values pino replaces with "[redacted]" wherever they appear. */
const REDACTED_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token', 'apiKey', '*.apiKey',
  'authorization', '*.authorization', 'headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie',
];

/**
 * Creates the kernel's root logger: one JSON line per event on stdout, written synchronously.
 *
 * pino's default stdout writer is asynchronous and flushes synchronously at exit. When stdout
 * is a pipe whose reader has ended, as with `npm start | tee log` after Ctrl-C, that flush
 * retries the failing write without end, and the process never exits. A synchronous writer
 * fails once instead, and pino then stops writing to the pipe.
 *
 * @example
 * const log = createLogger({ level: 'info' });
 * log.child({ extensionId: 'mify.control' }).info('extension loaded');
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'mify-kernel' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(pinoOptions, options.destination as pino.DestinationStream);
  return pino(pinoOptions, pino.destination({ dest: 1, sync: true }));
}
