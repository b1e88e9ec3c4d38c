import { z } from 'zod';
import { defineHostMethod, type HostMethod } from './types.js';

/** Maximum delta that one `runs.progress` call accepts, in characters (64 Ki). */
export const MAX_PROGRESS_DELTA_CHARS = 64 * 1024;

/**
 * `runs.progress(delta)`: records partial output of the calling step as a `step.progress`
 * event of its run. It needs no permission, because it reaches only the caller's own step.
 * Calls outside a step, or from a provider whose caller did not request streaming, resolve
 * to `{ recorded: false }` and record nothing.

 */
export const progressMethods: HostMethod[] = [
  defineHostMethod({
    name: 'runs.progress',
    permission: null,
    parameters: { delta: z.string().max(MAX_PROGRESS_DELTA_CHARS, `must be at most ${MAX_PROGRESS_DELTA_CHARS} characters; report long output in several calls`) },
    target: () => undefined,
    run: async ({ delta }, scope) => {
      const sink = scope.context.progress;
      if (sink === undefined || delta === '') return { recorded: false };
      try {
        return { recorded: await sink(delta) };
      } catch (error) {
        // Progress is advisory: a failed write is logged, and the step's own records report the failure.
        scope.logger.warn({ err: error, stepId: scope.context.stepId }, 'could not record step progress');
        return { recorded: false };
      }
    },
  }),
];
