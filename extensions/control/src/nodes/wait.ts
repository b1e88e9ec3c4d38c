import type { NodeInput, NodeOutput } from '@mify/sdk';

/** Maximum wait in milliseconds: 366 days. */
const MAX_WAIT_MS = 366 * 24 * 3_600_000;

const UNIT_MS: Record<string, number> = { seconds: 1_000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/** Creates the error, with code `invalid_parameter`, that fails the step. The message names the parameter and the fix. */
function invalid(nodeName: string, message: string): Error {
  const error = new Error(`Node '${nodeName}': ${message}`);
  (error as Error & { code: string }).code = 'invalid_parameter';
  return error;
}

/** Computes the time in ms since the epoch at which the wait ends, from `mode` and its parameters. */
function endOf(nodeName: string, parameters: Record<string, unknown>, now: number): number {
  const mode = parameters.mode ?? 'duration';
  if (mode === 'duration') {
    const amount = parameters.amount;
    const unit = parameters.unit ?? 'seconds';
    if (typeof unit !== 'string' || !(unit in UNIT_MS)) {
      throw invalid(nodeName, `parameter unit must be "seconds", "minutes", "hours" or "days", got ${JSON.stringify(unit)}`);
    }
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      throw invalid(nodeName, `parameter amount must be a number of ${unit} of at least 0, got ${JSON.stringify(amount)}`);
    }
    const ms = amount * UNIT_MS[unit]!;
    if (ms > MAX_WAIT_MS) throw invalid(nodeName, `invalid wait of ${amount} ${unit}: the maximum is 366 days. Set a shorter amount`);
    return now + ms;
  }
  if (mode === 'until') {
    const until = parameters.until;
    const time = typeof until === 'string' ? Date.parse(until) : Number.NaN;
    if (Number.isNaN(time)) {
      throw invalid(nodeName, `parameter until must be an ISO 8601 date-time such as 2030-01-31T09:00:00Z, got ${JSON.stringify(until)}`);
    }
    if (time - now > MAX_WAIT_MS) throw invalid(nodeName, `invalid parameter until: ${until} is more than the maximum of 366 days away. Set an earlier date-time`);
    return time;
  }
  throw invalid(nodeName, `parameter mode must be "duration" or "until", got ${JSON.stringify(mode)}`);
}

/**
 * Node `mify.control.wait`. Its first call requests a timer from the kernel, which parks the run
 * or, for short waits, keeps it in the process. The kernel calls the node again with `resume`
 * when the time has come, and the node then passes its items on unchanged. A time in the past
 * ends the wait at once.
 */
export const wait = {
  execute(ctx: { node: { name: string } }, input: NodeInput): NodeOutput {
    if (input.resume) return { items: input.items };
    const end = endOf(ctx.node.name, input.parameters ?? {}, Date.now());
    return { wait: { kind: 'timer', until: new Date(Math.max(end, Date.now())).toISOString() } };
  },
};
