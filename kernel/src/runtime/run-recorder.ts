import type { Item } from '../graphs/model.js';
import type { PubSub } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { RunOutcome, StepRecord, StepRecorder } from './executor/context.js';
import { estimateJsonSize, previewPorts } from './executor/items.js';
import type { JournalWrite, RunEvent, RunStore, StoredStep } from './run-store.js';
import type { PortItems } from './types.js';

export type Rigor = 'audited' | 'experimental';

/** Pub/sub channel of a run's events, e.g. `run:run_5f0c…`. */
export function runChannel(runId: string): string {
  return `run:${runId}`;
}

/**
 * Node types whose output is kept whole at every rigor, up to the record size limit: a
 * respond-to-webhook step's output is the HTTP response that webhooks and workflow endpoints
 * send, read back from its record.
 */
const FULL_OUTPUT_NODE_TYPES = new Set(['mify.io.respond-to-webhook']);

/** Maximum characters of `step.progress` deltas stored per step (1 Mi). Later deltas of the step are dropped. */
export const MAX_PROGRESS_CHARS_PER_STEP = 1024 * 1024;

/** Maximum delta of one `step.progress` event after merging, in characters (64 Ki). */
const MAX_MERGED_PROGRESS_CHARS = 64 * 1024;

/** Pending records, or their estimated bytes, past which a step waits for the writes in flight. */
const MAX_PENDING_RECORDS = 500;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/**
 * Converts items to their record form, `{ ports, itemCounts, truncated }`. Audited runs keep
 * every item unless the JSON passes `maxRecordBytes`, which sets `oversized`. Experimental
 * runs keep a preview: the first 20 items per port, strings cut at 2 KiB and nested arrays at
 * 100 elements. `bytes` estimates the JSON size of `value`.
 */
export function recordContent(ports: PortItems | null, rigor: Rigor, maxRecordBytes: number, knownBytes: number | null = null): { value: unknown; oversized: boolean; bytes: number } {
  if (ports === null) return { value: null, oversized: false, bytes: 0 };

  const itemCounts: Record<string, number> = {};
  for (const [port, items] of Object.entries(ports)) itemCounts[port] = items.length;
  const preview = (oversized: boolean) => {
    const value = { ports: previewPorts(ports).ports, itemCounts, truncated: true };
    return { value, oversized, bytes: estimateJsonSize(value, maxRecordBytes) };
  };
  if (rigor === 'experimental') return preview(false);

  const bytes = knownBytes ?? estimateJsonSize(ports, maxRecordBytes);
  if (bytes > maxRecordBytes) return preview(true);
  return { value: { ports, itemCounts, truncated: false }, oversized: false, bytes };
}

/** Run input or output as stored on the run: `{ items, itemCount, truncated }`, by the same rules as step records. */
export function recordRunItems(items: Item[], rigor: Rigor, maxRecordBytes: number): { items: Item[]; itemCount: number; truncated: boolean } {
  const { value } = recordContent({ main: items }, rigor, maxRecordBytes);
  const content = value as { ports: PortItems; truncated: boolean };
  return { items: content.ports.main ?? [], itemCount: items.length, truncated: content.truncated };
}

/**
 * Writes one run's records and events. Step records are queued and written in batches of one
 * statement each, so a step does not wait for the database. A step waits only when more than
 * MAX_PENDING_RECORDS records or MAX_PENDING_BYTES are queued.
 *
 * Event ids count up from 1 per run. Events are published on the run's pub/sub channel after
 * their batch is stored, so a subscriber that reads the stored history first and then the
 * channel gets every event once. A failed write is logged and fails the next step of the run.
 */
export class RunRecorder implements StepRecorder {
  private lastEventId = 0;
  /** Steps whose start is queued or stored, so their end need not repeat the input. */
  private readonly started = new Set<string>();
  private pendingSteps = new Map<string, StoredStep>();
  private pendingEvents: RunEvent[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | null = null;
  /** A write that is due but not started, so records of the next moments can join its batch. */
  private scheduled: { cancel: () => void; start: () => void } | null = null;
  private failure: unknown = null;
  /** Characters of progress stored per running step. */
  private readonly progressChars = new Map<string, number>();

  constructor(
    private readonly deps: {
      store: RunStore;
      pubsub: PubSub;
      logger: Logger;
      runId: string;
      rigor: Rigor;
      maxRecordBytes: number;
      lastEventId?: number;
      /**
       * Delay before writing queued records, in milliseconds. Durable runs set it so that a
       * short step is stored in one statement with its journal entry.
       */
      writeDelayMs?: number;
    },
  ) {
    this.lastEventId = deps.lastEventId ?? 0;
  }

  /**
   * Allocates the next event id for an event stored elsewhere, e.g. with a suspension.
   * Publish the event with `publishEvent` once it is stored.
   */
  allocateEvent(type: string, data: Record<string, unknown>): RunEvent {
    return this.nextEvent(type, data);
  }

  /** Stores an event after the queued records, then publishes it. */
  async recordEvent(type: string, data: Record<string, unknown>): Promise<void> {
    const event = this.nextEvent(type, data);
    this.pendingEvents.push(event);
    await this.flush();
  }

  publishEvent(event: RunEvent): void {
    this.publish(event);
  }

  async runStarted(startedAt: Date, timeoutAt: Date | null): Promise<void> {
    const event = this.nextEvent('run.started', { runId: this.deps.runId, startedAt: startedAt.toISOString(), timeoutAt: timeoutAt?.toISOString() ?? null });
    await this.deps.store.markRunning(this.deps.runId, startedAt, timeoutAt, event);
    this.publish(event);
  }

  async stepStarted(record: StepRecord): Promise<void> {
    this.throwIfFailed();
    this.started.add(record.id);
    const input = recordContent(record.input, this.deps.rigor, this.deps.maxRecordBytes, record.inputBytes);
    this.enqueue({ ...record, input: input.value, output: null, oversized: input.oversized }, this.nextEvent('step.started', stepEventData(record)), input.bytes);
    await this.applyBackpressure();
  }

  async stepLinked(record: StepRecord): Promise<void> {
    this.throwIfFailed();
    this.enqueue({ ...record, input: null, output: null, oversized: false }, null, 0);
  }

  /**
   * Queues a `step.progress` event `{ runId, stepId, nodeId, delta }` without waiting for the
   * write. A delta that arrives while the previous progress event of the same step is still
   * queued is appended to it, so a fast stream costs one event per write batch rather than one
   * per delta. Events keep their order, and the step's end event follows its progress.
   */
  stepProgress(record: StepRecord, delta: string): boolean {
    if (this.failure !== null || !this.started.has(record.id)) return false;
    const storedChars = this.progressChars.get(record.id) ?? 0;
    if (storedChars + delta.length > MAX_PROGRESS_CHARS_PER_STEP) {
      if (storedChars <= MAX_PROGRESS_CHARS_PER_STEP) this.deps.logger.warn({ runId: this.deps.runId, stepId: record.id, maxChars: MAX_PROGRESS_CHARS_PER_STEP }, 'step progress passed its limit; later deltas of the step are dropped');
      this.progressChars.set(record.id, MAX_PROGRESS_CHARS_PER_STEP + 1);
      return false;
    }
    this.progressChars.set(record.id, storedChars + delta.length);

    const last = this.pendingEvents.at(-1);
    if (last?.type === 'step.progress' && last.data.stepId === record.id && (last.data.delta as string).length + delta.length <= MAX_MERGED_PROGRESS_CHARS) {
      last.data.delta = (last.data.delta as string) + delta;
    } else {
      this.pendingEvents.push(this.nextEvent('step.progress', { runId: record.runId, stepId: record.id, nodeId: record.nodeId, delta }));
    }
    this.startWriting();
    return true;
  }

  async stepFinished(record: StepRecord): Promise<void> {
    this.throwIfFailed();
    this.progressChars.delete(record.id);
    const hadStart = this.started.delete(record.id);
    const input = hadStart ? { value: null, oversized: false, bytes: 0 } : recordContent(record.input, this.deps.rigor, this.deps.maxRecordBytes, record.inputBytes);
    const output = recordContent(record.output, FULL_OUTPUT_NODE_TYPES.has(record.nodeType) ? 'audited' : this.deps.rigor, this.deps.maxRecordBytes);
    const stored: StoredStep = { ...record, input: input.value, output: output.value, oversized: input.oversized || output.oversized };
    this.enqueue(stored, this.nextEvent(`step.${record.status}`, stepEventData(record)), input.bytes + output.bytes);
    await this.applyBackpressure();
  }

  /** Stores every queued record, then the run's end and its `run.finished` event. */
  async runFinished(outcome: Pick<RunOutcome, 'status' | 'output' | 'error' | 'usage'>, startedAt: Date | null): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      this.deps.logger.error({ runId: this.deps.runId, err: error }, 'some step records of the run could not be stored');
    }

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

  /**
   * Stores every queued record and `journal` in one statement, so the history never lags the
   * journal. Returns false when the journal write was rejected because another process owns
   * the run.
 The run's steps run one at a time, so nothing is queued while this waits.
   */
  async flushWithJournal(journal: JournalWrite): Promise<boolean> {
    // The records a scheduled write would store go into this statement instead.
    this.scheduled?.cancel();
    this.scheduled = null;
    while (this.writing !== null) await this.writing;
    this.throwIfFailed();
    const steps = [...this.pendingSteps.values()];
    const events = this.pendingEvents;
    this.pendingSteps = new Map();
    this.pendingEvents = [];
    this.pendingBytes = 0;
    const stored = await this.deps.store.writeBatch(steps, events.map((event) => ({ ...event, runId: this.deps.runId })), journal);
    for (const event of events) this.publish(event);
    return stored;
  }

  /** Resolves once every queued record is stored; rejects when a write failed. */
  async flush(): Promise<void> {
    while (this.writing !== null || this.pendingSteps.size > 0 || this.pendingEvents.length > 0) {
      this.startWriting();
      this.scheduled?.start();
      await this.writing;
      this.throwIfFailed();
    }
  }

  /** Queues a step row, merged with a queued row of the same step, and its event. */
  private enqueue(step: StoredStep, event: RunEvent | null, bytes: number): void {
    const queued = this.pendingSteps.get(step.id);
    const merged = queued ? { ...step, input: step.input ?? queued.input, oversized: step.oversized || queued.oversized, childRunId: step.childRunId ?? queued.childRunId } : step;
    this.pendingSteps.set(step.id, merged);
    if (event) this.pendingEvents.push(event);
    this.pendingBytes += bytes;
    this.startWriting();
  }

  /**
   * Schedules a write of the queued records: after one turn of the event loop, or after
   * `writeDelayMs` when set, so that a short step's start and end share one statement.
   */
  private startWriting(): void {
    if (this.writing !== null || this.scheduled !== null || this.failure !== null) return;
    if (this.pendingSteps.size === 0 && this.pendingEvents.length === 0) return;
    const start = () => {
      if (this.scheduled !== entry) return;
      this.scheduled = null;
      cancel();
      this.writing = this.writeQueued().finally(() => {
        this.writing = null;
      });
    };
    const delayMs = this.deps.writeDelayMs ?? 0;
    let cancel: () => void;
    if (delayMs > 0) {
      const timer = setTimeout(start, delayMs);
      cancel = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(start);
      cancel = () => clearImmediate(immediate);
    }
    const entry = { cancel, start };
    this.scheduled = entry;
  }

  /** Writes batches until the queue is empty. */
  private async writeQueued(): Promise<void> {
    try {
      while (this.pendingSteps.size > 0 || this.pendingEvents.length > 0) {
        const steps = [...this.pendingSteps.values()];
        const events = this.pendingEvents;
        this.pendingSteps = new Map();
        this.pendingEvents = [];
        this.pendingBytes = 0;

        await this.deps.store.writeBatch(steps, events.map((event) => ({ ...event, runId: this.deps.runId })));
        for (const event of events) this.publish(event);
      }
    } catch (error) {
      this.failure = error;
      this.deps.logger.error({ runId: this.deps.runId, err: error }, 'could not store step records; the run stops at its next step');
    }
  }

  private async applyBackpressure(): Promise<void> {
    if (this.pendingSteps.size + this.pendingEvents.length > MAX_PENDING_RECORDS || this.pendingBytes > MAX_PENDING_BYTES) await this.flush();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
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
