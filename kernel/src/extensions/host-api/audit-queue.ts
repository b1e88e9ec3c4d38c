import type { AuditEntry, AuditLog } from '../../audit/audit-log.js';
import type { Logger } from '../../logger.js';

export interface HostAuditQueueOptions {
  /** Time an entry may wait in the buffer before a flush starts, in milliseconds. Default 200. */
  flushIntervalMs?: number;
  /** Number of buffered entries that starts a flush at once. Default 100. */
  maxBatchSize?: number;
  /**
   * Maximum number of entries held while the database is slow or down. Past it the oldest
   * entries are dropped and the drop is logged with a count. Default 10 000.
   */
  maxPendingEntries?: number;
}

const DEFAULTS = {
  flushIntervalMs: 200,
  maxBatchSize: 100,
  maxPendingEntries: 10_000,
} satisfies Required<HostAuditQueueOptions>;

/**
 * Buffers the audit rows of host calls so a call does not wait for a database insert.
 * A flush starts `flushIntervalMs` after the first buffered entry, or at once when
 * `maxBatchSize` entries are waiting. A batch is written in one statement, in call order.
 * When that fails, its rows are written one by one, so a single bad row loses only itself.
 *
 * An entry is lost when the process dies before its flush, so shutdown must call `close()`.
 * A failed write is logged and its entry dropped: an unreachable database must not block
 * or fail the calls of extensions.
 *
 * @example
 * const queue = new HostAuditQueue(auditLog, logger);
 * queue.enqueue({ workspaceId: null, actorType: 'extension', actorId: 'acme.notes', action: 'host.kv.get' });
 * await queue.close();
 */
export class HostAuditQueue {
  private readonly options: Required<HostAuditQueueOptions>;
  private pending: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Tail of the chain of flushes, so flushes never overlap and `flush()` waits for earlier ones. */
  private flushing: Promise<void> = Promise.resolve();
  private droppedEntries = 0;
  private closed = false;

  constructor(
    private readonly auditLog: AuditLog,
    private readonly logger: Logger,
    options: HostAuditQueueOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Adds one entry to the buffer. Never throws and never waits. */
  enqueue(entry: AuditEntry): void {
    if (this.closed) {
      this.logger.warn({ action: entry.action, actorId: entry.actorId }, 'host audit entry after close was written unbuffered');
      this.auditLog.record(entry).catch((error: unknown) => this.logger.error({ err: error, action: entry.action }, 'host audit entry could not be written'));
      return;
    }

    this.pending.push(entry.at ? entry : { ...entry, at: new Date() });
    if (this.pending.length > this.options.maxPendingEntries) {
      const excess = this.pending.length - this.options.maxPendingEntries;
      this.pending.splice(0, excess);
      this.droppedEntries += excess;
    }

    if (this.pending.length >= this.options.maxBatchSize) {
      void this.flush();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes every buffered entry; resolves when they and all earlier flushes are written. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  /** Flushes and stops buffering; later entries are written one at a time. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async write(batch: AuditEntry[]): Promise<void> {
    if (this.droppedEntries > 0) {
      this.logger.error({ droppedEntries: this.droppedEntries }, 'host audit buffer was full; oldest entries were dropped');
      this.droppedEntries = 0;
    }

    if (batch.length === 0) return;
    try {
      await this.auditLog.recordMany(batch);
      return;
    } catch {
      // Written one by one below, so only the entries that cannot be stored are lost.
    }
    let failures = 0;
    let lastError: unknown;
    for (const entry of batch) {
      try {
        await this.auditLog.record(entry);
      } catch (error) {
        failures += 1;
        lastError = error;
      }
    }
    if (failures > 0) this.logger.error({ err: lastError, failedEntries: failures, batchSize: batch.length }, 'host audit entries could not be written');
  }
}

const sharedQueues = new WeakMap<AuditLog, HostAuditQueue>();

/**
 * Returns the queue shared by every host bridge that writes to `auditLog`, creating it on
 * first use. The kernel calls `close()` on it at shutdown.
 */
export function hostAuditQueueFor(auditLog: AuditLog, logger: Logger): HostAuditQueue {
  let queue = sharedQueues.get(auditLog);
  if (queue === undefined) {
    queue = new HostAuditQueue(auditLog, logger.child({ component: 'host-audit' }));
    sharedQueues.set(auditLog, queue);
  }
  return queue;
}
