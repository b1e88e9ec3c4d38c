import { nextFireAfter, parseCron } from './cron.js';

/** Minimum interval between fires of an interval schedule, in milliseconds. */
export const MIN_INTERVAL_MS = 1_000;
/** Maximum interval between fires of an interval schedule (365 days), in milliseconds. */
export const MAX_INTERVAL_MS = 365 * 86_400_000;

/** Policy for due times missed while no process polled a schedule. */
export type CatchUpPolicy = 'latest' | 'skip' | 'all';

/**
 * How late a fire may be and still count as on time under the `skip` policy, in
 * milliseconds. Polls happen every second or so, so a later fire means the kernel was down
 * or every process was busy.
 */
export const ON_TIME_GRACE_MS = 60_000;

/** How far back the `all` policy makes up missed due times (one day), in milliseconds; older ones are dropped. */
export const MAX_CATCH_UP_AGE_MS = 86_400_000;

/** When a schedule fires: every `intervalMs`, or at the times a cron expression names in a time zone. */
export type ScheduleTiming = { kind: 'interval'; intervalMs: number } | { kind: 'cron'; cron: string; timezone: string };

/** First due time of a schedule enabled at `now`: one interval later, or the next time the cron expression names. */
export function firstFireAt(timing: ScheduleTiming, now: Date): Date {
  if (timing.kind === 'interval') return new Date(now.getTime() + timing.intervalMs);
  return nextFireAfter(parseCron(timing.cron), now, timing.timezone);
}

/**
 * Due time after a fire that was due at `dueAt` and handled at `now`, under `catchUp`.
 *
 * With `latest` and `skip` it is always after `now`, so a schedule that missed several due
 * times (the kernel was down, or every process was busy) fires once for all of them, or not
 * at all. With `all` it is the next due time after `dueAt`, which may already have passed. The
 * schedule then fires again at the next poll until it has caught up. Due times older than
 * `MAX_CATCH_UP_AGE_MS` are dropped. Interval schedules keep their phase: the result is
 * `dueAt` plus a whole number of intervals.
 */
export function nextFireAt(timing: ScheduleTiming, dueAt: Date, now: Date, catchUp: CatchUpPolicy = 'latest'): Date {
  const after = catchUp === 'all' ? new Date(Math.max(dueAt.getTime(), now.getTime() - MAX_CATCH_UP_AGE_MS)) : now;
  if (timing.kind === 'cron') return nextFireAfter(parseCron(timing.cron), after, timing.timezone);

  const elapsed = Math.max(0, after.getTime() - dueAt.getTime());
  const intervals = Math.floor(elapsed / timing.intervalMs) + 1;
  return new Date(dueAt.getTime() + intervals * timing.intervalMs);
}

/** Tells whether `skip` drops a fire due at `dueAt` and handled at `now`: it drops fires later than the grace period. */
export function firesLate(catchUp: CatchUpPolicy, dueAt: Date, now: Date): boolean {
  return catchUp === 'skip' && now.getTime() - dueAt.getTime() > ON_TIME_GRACE_MS;
}
