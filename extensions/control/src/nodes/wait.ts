/** Longest wait: one year, in milliseconds. */
const MAX_WAIT_MS = 366 * 24 * 3_600_000;

const UNIT_MS: Record<string, number> = { seconds: 1_000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

interface WaitInput {
  items: Array<{ json: Record<string, unknown> }>;
  parameters: Record<string, unknown>;
  resume?: { outcome: string; decidedAt: string };
}

/** Fails the step with a message naming the parameter and the fix. */
function invalid(nodeName: string, message: string): Error {
  const error = new Error(`Node '${nodeName}': ${message}`);
  (error as Error & { code: string }).code = 'invalid_parameter';
  return error;
}

/** The time the wait ends, from `mode` and its parameters. */
function endOf(nodeName: string, parameters: Record<string, unknown>, now: number): number {
  const mode = parameters.mode ?? 'duration';
  if (mode === 'duration') {
    const amount = parameters.amount;
    const unit = parameters.unit ?? 'seconds';
    if (typeof unit !== 'string' || !(unit in UNIT_MS)) throw invalid(nodeName, `parameter unit must be "seconds", "minutes", "hours" or "days", got ${JSON.stringify(unit)}`);
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) throw invalid(nodeName, `parameter amount must be a number of ${unit} of at least 0, got ${JSON.stringify(amount)}`);
    const ms = amount * UNIT_MS[unit]!;
    if (ms > MAX_WAIT_MS) throw invalid(nodeName, `a wait can last at most 366 days; ${amount} ${unit} is longer`);
    return now + ms;
  }
  if (mode === 'until') {
    const until = parameters.until;
    const time = typeof until === 'string' ? Date.parse(until) : Number.NaN;
    if (Number.isNaN(time)) throw invalid(nodeName, `parameter until must be an ISO 8601 date-time such as 2030-01-31T09:00:00Z, got ${JSON.stringify(until)}`);
    if (time - now > MAX_WAIT_MS) throw invalid(nodeName, `a wait can last at most 366 days; ${until} is further away`);
    return time;
  }
  throw invalid(nodeName, `parameter mode must be "duration" or "until", got ${JSON.stringify(mode)}`);
}

/**
 * `mify.control.wait`: a `wait` node. Its first call asks the kernel for a timer; the run is
 * parked (or, for a few seconds, kept in the process) and the node is called again with
 * `resume` when the time has come. It then passes its items on unchanged.
 */
export const wait = {
  execute(ctx: { node: { name: string } }, input: WaitInput) {
    if (input.resume) return { items: input.items };
    const end = endOf(ctx.node.name, input.parameters, Date.now());
    return { wait: { kind: 'timer', until: new Date(Math.max(end, Date.now())).toISOString() } };
  },
};
