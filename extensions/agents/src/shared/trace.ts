/**
 * The run trace of an agent node: every thought, tool call, observation and strategy
 * decision, stored with the node's step through the `runs.trace` host method so the run's
 * records (`GET /api/runs/:id`, the run history) show how the agent reached its answer.
 */
import type { JsonObject, JsonValue, NodeContext } from '@mify/sdk';

/** Maximum characters of one text field in a trace entry; longer text is cut and marked. */
export const MAX_TRACE_TEXT_CHARS = 4_000;

/** Entries per `runs.trace` call; the kernel accepts at most 100. */
const TRACE_BATCH = 100;

/** One trace entry. `type` names the event, and `agent` names the agent or role that caused it. */
export interface TraceEntry extends JsonObject {
  type: string;
}

/** Cuts a text to `maxChars`, marking the cut, so trace entries stay within the kernel's entry size. */
export function clip(text: string, maxChars: number = MAX_TRACE_TEXT_CHARS): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… [${text.length - maxChars} more characters]`;
}

/** Returns a JSON value for a trace entry: the value itself, or its clipped JSON text when it is large. */
export function clipJson(value: JsonValue): JsonValue {
  const json = JSON.stringify(value) ?? 'null';
  return json.length <= MAX_TRACE_TEXT_CHARS ? value : clip(json);
}

/**
 * Buffers trace entries of one item and stores them with `flush`. Agents flush after each
 * model turn and tool call, and the node flushes once more before it returns or fails, so a
 * failed step keeps the entries that led to the failure.
 */
export class Tracer {
  private pending: TraceEntry[] = [];
  /** Entries stored so far, for the node's output summary. */
  recorded = 0;
  /** Entries the kernel dropped past its per-step limit. */
  dropped = 0;

  constructor(
    private readonly ctx: NodeContext,
    private readonly itemIndex: number,
  ) {}

  add(entry: TraceEntry): void {
    this.pending.push({ ...entry, item: this.itemIndex });
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, TRACE_BATCH);
      this.pending = this.pending.slice(TRACE_BATCH);
      try {
        const result = await this.ctx.host.runs.trace(batch);
        this.recorded += result.recorded;
        this.dropped += result.dropped;
      } catch (error) {
        // The trace is a record of the work, not the work: a rejected batch is logged and the agent goes on.
        this.ctx.log.warn('could not store agent trace entries', { error: error instanceof Error ? error.message : String(error), entries: batch.length });
      }
    }
  }
}
