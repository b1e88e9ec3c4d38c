import { nextFireAfter, parseCron } from './cron.js';

/** Minimum interval between fires of an interval schedule, in milliseconds. */
export const MIN_INTERVAL_MS = 1_000;
/** Maximum interval between fires of an interval schedule (365 days), in milliseconds. */
export const MAX_INTERVAL_MS = 365 * 86_400_000;

/** When a schedule fires: every `intervalMs`, or at the times a cron expression names in a time zone. */
export type ScheduleTiming = { kind: 'interval'; intervalMs: number } | { kind: 'cron'; cron: string; timezone: string };

/** First due time of a schedule enabled at `now`: one interval later, or the next time the cron expression names. */
export function firstFireAt(timing: ScheduleTiming, now: Date): Date {
  if (timing.kind === 'interval') return new Date(now.getTime() + timing.intervalMs);
  return nextFireAfter(parseCron(timing.cron), now, timing.timezone);
}

/**
 * Due time after a fire that was due at `dueAt` and happened at `now`. It is always after
 * `now`, so a schedule that missed several due times (the kernel was down, or every process
 * was busy) fires once for all of them, not once per missed time. Interval schedules keep
 * their phase: the result is `dueAt` plus a whole number of intervals.
 */
export function nextFireAt(timing: ScheduleTiming, dueAt: Date, now: Date): Date {
  if (timing.kind === 'cron') return nextFireAfter(parseCron(timing.cron), now, timing.timezone);

  const elapsed = Math.max(0, now.getTime() - dueAt.getTime());
  const intervals = Math.floor(elapsed / timing.intervalMs) + 1;
  return new Date(dueAt.getTime() + intervals * timing.intervalMs);
}
