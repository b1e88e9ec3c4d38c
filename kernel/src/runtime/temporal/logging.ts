import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { Logger } from '../../logger.js';

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** Adapts pino to the Temporal SDK's logger interface, dropping entries below `minimum`. */
export function temporalLogger(logger: Logger, minimum: 'info' | 'warn' | 'error'): TemporalLogger {
  const floor = ORDER[minimum.toUpperCase() as LogLevel];
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (ORDER[level] < floor) return;
    const fields = { ...meta };
    if (level === 'ERROR') logger.error(fields, message);
    else if (level === 'WARN') logger.warn(fields, message);
    else logger.info(fields, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
