import type { Item } from '../graphs/model.js';
import type { PubSub } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { RunOutcome, StepRecord, StepRecorder } from './executor/context.js';
import { estimateJsonSize, previewPorts } from './executor/items.js';
import type { RunEvent, RunStore, StoredStep } from './run-store.js';
import type { PortItems } from './types.js';

export type Rigor = 'audited' | 'experimental';

/** Pub/sub channel of a run's events, e.g. `run:run_5f0c…`. */
export function runChannel(runId: string): string {
  return `run:${runId}`;
}

/**
 * Items as a record keeps them: `{ ports, itemCounts, truncated }`. Audited runs keep every
 * item unless the JSON passes `maxRecordBytes` (then `oversized`); experimental runs keep a
 * preview (first 20 items per port, strings cut at 2 KiB, nested arrays at 100 elements).
 */
export function recordContent(ports: PortItems | null, rigor: Rigor, maxRecordBytes: number, knownBytes: number | null = null): { value: unknown; oversized: boolean } {
  if (ports === null) return { value: null, oversized: false };

  const itemCounts: Record<string, number> = {};
  for (const [port, items] of Object.entries(ports)) itemCounts[port] = items.length;
  if (rigor === 'experimental') return { value: { ports: previewPorts(ports).ports, itemCounts, truncated: true }, oversized: false };

  const bytes = knownBytes ?? estimateJsonSize(ports, maxRecordBytes);
  if (bytes > maxRecordBytes) return { value: { ports: previewPorts(ports).ports, itemCounts, truncated: true }, oversized: true };
  return { value: { ports, itemCounts, truncated: false }, oversized: false };
}

/** Run input or output as stored on the run: `{ items, itemCount, truncated }`, by the same rules as step records. */
export function recordRunItems(items: Item[], rigor: Rigor, maxRecordBytes: number): { items: Item[]; itemCount: number; truncated: boolean } {
  const { value } = recordContent({ main: items }, rigor, maxRecordBytes);
  const content = value as { ports: PortItems; truncated: boolean };
  return { items: content.ports.main ?? [], itemCount: items.length, truncated: content.truncated };
}

/**
 * Writes one run's records and events: each step row together with its event in one
 * statement, then publishes the event on the run's pub/sub channel. Event ids count up from
 * 1 per run, and an event is stored before it is published, so a subscriber that reads the
 * stored history first and then the channel sees every event once.
 */
export class RunRecorder implements StepRecorder {
  private lastEventId = 0;
  private readonly started = new Set<string>();

  constructor(
    private readonly deps: { store: RunStore; pubsub: PubSub; logger: Logger; runId: string; rigor: Rigor; maxRecordBytes: number },
  ) {}

  async runStarted(startedAt: Date, timeoutAt: Date | null): Promise<void> {
    const event = this.nextEvent('run.started', { runId: this.deps.runId, startedAt: startedAt.toISOString(), timeoutAt: timeoutAt?.toISOString() ?? null });
    await this.deps.store.markRunning(this.deps.runId, startedAt, timeoutAt, event);
    this.publish(event);
  }

  async stepStarted(record: StepRecord): Promise<void> {
    this.started.add(record.id);
    const input = recordContent(record.input, this.deps.rigor, this.deps.maxRecordBytes, record.inputBytes);
    const stored: StoredStep = { ...record, input: input.value, output: null, oversized: input.oversized };
    const event = this.nextEvent('step.started', stepEventData(record));
    await this.deps.store.insertStep(stored, event);
    this.publish(event);
  }

  async stepFinished(record: StepRecord): Promise<void> {
    const hadStart = this.started.delete(record.id);
    const input = hadStart ? { value: null, oversized: false } : recordContent(record.input, this.deps.rigor, this.deps.maxRecordBytes, record.inputBytes);
    const output = recordContent(record.output, this.deps.rigor, this.deps.maxRecordBytes);
    const stored: StoredStep = { ...record, input: input.value, output: output.value, oversized: input.oversized || output.oversized };

    const event = this.nextEvent(`step.${record.status}`, stepEventData(record));
    await this.deps.store.finishStep(stored, event);
    this.publish(event);
  }

  async runFinished(outcome: Pick<RunOutcome, 'status' | 'output' | 'error' | 'usage'>, startedAt: Date | null): Promise<void> {
    const finishedAt = new Date();
    const output = outcome.status === 'succeeded' ? recordRunItems(outcome.output, this.deps.rigor, this.deps.maxRecordBytes) : null;
    const event = this.nextEvent('run.finished', {
      runId: this.deps.runId,
      status: outcome.status,
      error: outcome.error,
      usage: outcome.usage,
      outputItemCount: outcome.output.length,
      finishedAt: finishedAt.toISOString(),
      durationMs: startedAt ? finishedAt.getTime() - startedAt.getTime() : null,
    });
    await this.deps.store.finishRun(this.deps.runId, { status: outcome.status, output, error: outcome.error, usage: { ...outcome.usage }, finishedAt }, event);
    this.publish(event);
  }

  private nextEvent(type: string, data: Record<string, unknown>): RunEvent {
    this.lastEventId += 1;
    return { id: this.lastEventId, type, data };
  }

  private publish(event: RunEvent): void {
    this.deps.pubsub.publish(runChannel(this.deps.runId), JSON.stringify(event)).catch((error: unknown) => {
      this.deps.logger.warn({ runId: this.deps.runId, eventId: event.id, err: error }, 'could not publish a run event; live subscribers will read it from the database');
    });
  }
}

function stepEventData(record: StepRecord): Record<string, unknown> {
  const data: Record<string, unknown> = {
    runId: record.runId,
    stepId: record.id,
    seq: record.seq,
    nodeId: record.nodeId,
    nodeName: record.nodeName,
    nodeType: record.nodeType,
    activation: record.activation,
    attempt: record.attempt,
    status: record.status,
    startedAt: record.startedAt.toISOString(),
  };
  if (record.finishedAt) data.finishedAt = record.finishedAt.toISOString();
  if (record.durationMs !== null) data.durationMs = record.durationMs;
  if (record.outputItemCount !== null) data.outputItemCount = record.outputItemCount;
  if (record.pinned) data.pinned = true;
  if (record.disabled) data.disabled = true;
  if (record.childRunId) data.childRunId = record.childRunId;
  if (record.error) data.error = record.error;
  if (record.usage) data.usage = record.usage;
  return data;
}
