import type { Logger } from '../logger.js';
import type { ScheduleNotificationService } from '../schedules/schedule-notifications.js';
import type { EventTriggerService } from './event-triggers.js';
import type { KernelEvent, KernelEventStore } from './kernel-events.js';

/** Maximum events and deliveries one poll handles; a full batch is followed by another poll at once. */
const BATCH_SIZE = 50;
/** Time between purges of old dispatched events, in milliseconds. */
const PURGE_INTERVAL_MS = 3_600_000;
/** Minimum time between two log lines about a failing poll, in milliseconds. */
const ERROR_LOG_INTERVAL_MS = 60_000;

export interface TriggerDispatcherOptions {
  events: KernelEventStore;
  triggers: Pick<EventTriggerService, 'dispatch'>;
  notifications: Pick<ScheduleNotificationService, 'enqueue' | 'deliverDue'>;
  logger: Logger;
  /** Time between polls, in milliseconds. */
  pollMs: number;
}

/**
 * Polls the kernel event log in every kernel process: records new run events, dispatches
 * undispatched events to event triggers and schedule notifications, and sends due
 * notification deliveries. Polls never overlap. Create it, `start` it with the kernel and
 * `stop` it before the run service shuts down.
 */
export class TriggerDispatcher {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private running = false;
  private lastPurgeAt = 0;
  private lastErrorLogAt = 0;

  constructor(private readonly options: TriggerDispatcherOptions) {
    this.log = options.logger.child({ component: 'triggers' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.log.info({ pollMs: this.options.pollMs }, 'trigger dispatcher started');
    this.plan(0);
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    this.log.info('trigger dispatcher stopped');
  }

  /** Runs one poll: ingest, dispatch and deliver until the batches run short. */
  async poll(): Promise<void> {
    await this.options.events.ingestRunEvents();
    for (;;) {
      const dispatched = await this.options.events.dispatchPending(BATCH_SIZE, (events) => this.dispatch(events));
      if (dispatched < BATCH_SIZE || !this.running) break;
    }
    for (;;) {
      const delivered = await this.options.notifications.deliverDue(BATCH_SIZE);
      if (delivered < BATCH_SIZE || !this.running) break;
    }
    if (Date.now() - this.lastPurgeAt > PURGE_INTERVAL_MS) {
      this.lastPurgeAt = Date.now();
      const purged = await this.options.events.purge();
      if (purged > 0) this.log.info({ purged }, 'purged dispatched kernel events');
    }
  }

  /**
   * Hands a batch of events to triggers, then to notifications. A failure for one event is
   * logged, and the event's other handler and the other events still run.
   */
  private async dispatch(events: KernelEvent[]): Promise<void> {
    await this.options.triggers.dispatch(events, (event, error) => this.log.error({ eventId: event.id, workspaceId: event.workspaceId, err: error }, 'dispatching an event to event triggers failed'));
    for (const event of events) {
      await this.options.notifications.enqueue(event).catch((error: unknown) => this.log.error({ eventId: event.id, workspaceId: event.workspaceId, err: error }, 'queueing schedule notifications for an event failed'));
    }
  }

  private plan(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll()
        .catch((error: unknown) => {
          if (!this.running || Date.now() - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
          this.lastErrorLogAt = Date.now();
          this.log.error({ err: error }, 'polling kernel events failed; trying again at the next poll');
        })
        .finally(() => {
          this.polling = null;
          if (this.running) this.plan(this.options.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
