import type { Logger } from '../logger.js';
import type { ScheduleService } from './schedule-service.js';

/** Maximum schedules one process fires per claim. A full batch is followed by another claim at once. */
const BATCH_SIZE = 20;
/** Minimum time between two log lines about the same failing poll, in milliseconds. */

const ERROR_LOG_INTERVAL_MS = 60_000;

export interface ScheduleTickerOptions {
  service: Pick<ScheduleService, 'fireDue'>;
  logger: Logger;
  /** Time between polls for due schedules, in milliseconds. */
  pollMs: number;
}

/**
 * Polls for due schedules and fires them, in every kernel process. Polls never overlap: the
 * next one is timed when the previous one has finished. Create it, `start` it with the
 * kernel and `stop` it before the run service shuts down.
 */
export class ScheduleTicker {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private running = false;
  private failures = 0;
  private lastErrorLogAt = 0;

  constructor(private readonly options: ScheduleTickerOptions) {
    this.log = options.logger.child({ component: 'schedules' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.log.info({ pollMs: this.options.pollMs }, 'schedule ticker started');
    this.plan(0);
  }

  /** Stops polling and waits for a poll in progress, so no run starts after this resolves. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    this.log.info('schedule ticker stopped');
  }

  /** Fires the schedules that are due now; resolves with how many fired. */
  async poll(): Promise<number> {
    let total = 0;
    for (;;) {
      const fired = await this.options.service.fireDue(BATCH_SIZE);
      total += fired;
      if (fired < BATCH_SIZE || !this.running) return total;
    }
  }

  private plan(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll().then(
        () => {
          if (this.failures > 0) this.log.info({ failures: this.failures }, 'polling for due schedules works again');
          this.failures = 0;
        },
        (error: unknown) => this.reportFailure(error),
      ).finally(() => {
        this.polling = null;
        if (this.running) this.plan(this.options.pollMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private reportFailure(error: unknown): void {
    this.failures += 1;
    if (!this.running) return;
    const now = Date.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLogAt = now;
    this.log.error({ err: error, failures: this.failures }, 'polling for due schedules failed; trying again at the next poll');
  }
}
