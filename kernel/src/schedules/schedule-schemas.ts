import { z } from 'zod';
import { itemSchema } from '../graphs/model.js';
import { CronError, MAX_CRON_LENGTH, parseCron } from './cron.js';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from './fire-times.js';
import { isTimeZone } from './time-zones.js';

/** Maximum input items one schedule may store. */

export const MAX_SCHEDULE_INPUT_ITEMS = 1_000;

export const scheduleNameSchema = z.string().trim().min(1).max(200).describe('Unique within the graph');

export const intervalMsSchema = z
  .number()
  .int()
  .min(MIN_INTERVAL_MS, `expected at least ${MIN_INTERVAL_MS} (one second), the shortest interval allowed`)
  .max(MAX_INTERVAL_MS, `expected at most ${MAX_INTERVAL_MS} (365 days); use kind "cron" for rarer schedules`)
  .describe(`Time between fires of an interval schedule, in milliseconds, ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`);

export const cronSchema = z
  .string()
  .max(MAX_CRON_LENGTH)
  .superRefine((value, context) => {
    try {
      parseCron(value);
    } catch (error) {
      if (!(error instanceof CronError)) throw error;
      context.addIssue({ code: 'custom', message: error.message });
    }
  })
  .describe('Five fields, minute hour day-of-month month day-of-week, such as "0 9 * * MON-FRI"; names like JAN and MON and the macros @hourly, @daily, @weekly, @monthly and @yearly are accepted');

export const timezoneSchema = z
  .string()
  .superRefine((value, context) => {
    if (!isTimeZone(value)) context.addIssue({ code: 'custom', message: `'${value}' is not a known IANA time zone; use a name such as Europe/Berlin, America/New_York or UTC` });
  })
  .describe('IANA time zone in which a cron schedule reads its expression (default UTC)');

export const scheduleInputSchema = z.array(itemSchema).max(MAX_SCHEDULE_INPUT_ITEMS).describe(`Items each run receives, at most ${MAX_SCHEDULE_INPUT_ITEMS}; default one empty item`);

export const scheduleVersionSchema = z.enum(['live', 'draft']).describe('Definition each run executes: the published (live) version, or the draft');

export const scheduleKindSchema = z.enum(['interval', 'cron']);

export const catchUpSchema = z
  .enum(['latest', 'skip', 'all'])
  .describe('Due times missed while no kernel process polled: latest fires once for all of them, skip fires none (a fire over 60 s late is dropped), all fires each one from the last 24 hours');

/** Body of a new schedule. Which timing fields apply depends on `kind`; the service checks them together. */
export const createScheduleSchema = z.strictObject({
  name: scheduleNameSchema,
  kind: scheduleKindSchema.describe('interval: every intervalMs. cron: at the times cron names in timezone'),
  intervalMs: intervalMsSchema.optional(),
  cron: cronSchema.optional(),
  timezone: timezoneSchema.optional(),
  input: scheduleInputSchema.optional(),
  version: scheduleVersionSchema.default('live'),
  enabled: z.boolean().default(true),
  catchUp: catchUpSchema.default('latest'),
});
export type CreateScheduleInput = z.output<typeof createScheduleSchema>;

/** Changes to a schedule; fields left out stay as they are. */
export const updateScheduleSchema = z.strictObject({
  name: scheduleNameSchema.optional(),
  kind: scheduleKindSchema.optional().describe('Changing the kind needs the timing fields of the new kind'),
  intervalMs: intervalMsSchema.optional(),
  cron: cronSchema.optional(),
  timezone: timezoneSchema.optional(),
  input: scheduleInputSchema.optional(),
  version: scheduleVersionSchema.optional(),
  enabled: z.boolean().optional().describe('Enabling sets the next due time from now; missed due times are not made up'),
  catchUp: catchUpSchema.optional(),
});
export type UpdateScheduleInput = z.output<typeof updateScheduleSchema>;
