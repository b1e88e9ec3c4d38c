import type { PubSub } from '../infra/types.js';
import { runChannel } from './run-recorder.js';
import type { RunEvent, RunStore } from './run-store.js';

/** Event types, in the order a run produces them. */
export const RUN_EVENT_TYPES = ['run.started', 'step.started', 'step.progress', 'step.succeeded', 'step.failed', 'step.skipped', 'step.cancelled', 'run.finished'] as const;

/**
 * Yields a run's events with an id above `afterId`: first those already stored, then live
 * ones from the run's pub/sub channel, and ends after `run.finished` or when `signal` aborts.
 * It subscribes before reading the history, and events are stored before they are published,
 * so no event is missed or repeated. A gap in the live ids, from a lost message, is filled
 * from the store.
 */
export async function* followRunEvents(deps: { store: Pick<RunStore, 'listEvents'>; pubsub: PubSub }, runId: string, afterId: number, signal: AbortSignal): AsyncGenerator<RunEvent> {
  const buffer: RunEvent[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = await deps.pubsub.subscribe(runChannel(runId), (message) => {
    const event = parseEvent(message);
    if (event) buffer.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);

  try {
    let lastId = afterId;
    for (const event of await deps.store.listEvents(runId, lastId)) {
      lastId = event.id;
      yield event;
      if (event.type === 'run.finished') return;
    }

    while (!signal.aborted) {
      if (buffer.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }

      const event = buffer.shift()!;
      if (event.id <= lastId) continue;
      if (event.id > lastId + 1) {
        for (const stored of await deps.store.listEvents(runId, lastId)) {
          if (stored.id >= event.id) break;
          lastId = stored.id;
          yield stored;
        }
      }
      lastId = event.id;
      yield event;
      if (event.type === 'run.finished') return;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await unsubscribe();
  }
}

function parseEvent(message: string): RunEvent | null {
  try {
    const value = JSON.parse(message) as Partial<RunEvent>;
    if (typeof value.id !== 'number' || typeof value.type !== 'string' || typeof value.data !== 'object' || value.data === null) return null;
    return value as RunEvent;
  } catch {
    return null;
  }
}
