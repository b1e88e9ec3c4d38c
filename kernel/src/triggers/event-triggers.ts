import { z } from 'zod';
import { MifyError } from '../errors.js';
import type { GraphRunService } from '../graphs/graph-runs.js';
import type { Logger } from '../logger.js';
import { toJsonb } from '../runtime/run-store.js';
import type { Database } from '../storage/database.js';
import { KERNEL_EVENT_TYPES, type KernelEvent } from './kernel-events.js';

/**
 * Node type of the event trigger of the bundled mify.triggers extension. The extension runs
 * the node, which passes the event item on; the kernel reads the published parameters to
 * decide which events start a run. This schema mirrors the node's parameter schema in
 * extensions/triggers.
 */
export const EVENT_TRIGGER_NODE_TYPE = 'mify.triggers.event';

/** Start mode of the runs that event triggers start. */
export const EVENT_RUN_MODE = 'event';

/**
 * Maximum length of a chain of event-triggered runs: a run started by an event whose own run
 * was started by an event, and so on. Longer chains stop, so two graphs that trigger each
 * other cannot loop forever.
 */
export const MAX_EVENT_CHAIN_DEPTH = 5;

export const eventTriggerSettingsSchema = z.object({
  event: z.enum(KERNEL_EVENT_TYPES),
  graphIds: z.array(z.string().min(1)).max(100).default([]),
  statuses: z.array(z.enum(['succeeded', 'failed', 'cancelled'])).default([]),
});
export type EventTriggerSettings = z.output<typeof eventTriggerSettingsSchema>;

interface LiveTriggerRow {
  graph_id: string;
  version_number: number;
  nodes: Array<{ id: string; name: string; type: string; disabled?: boolean; parameters?: Record<string, unknown> }>;
}

/** Graph whose event of a kernel event is the source, or null for events of no graph. */
function sourceGraphOf(event: KernelEvent): string | null {
  return typeof event.data.graphId === 'string' ? event.data.graphId : null;
}

/** Whether an event trigger's filters accept the event. */
export function triggerAccepts(settings: EventTriggerSettings, event: KernelEvent): boolean {
  if (settings.event !== event.type) return false;
  const source = sourceGraphOf(event);
  if (settings.graphIds.length > 0 && (source === null || !settings.graphIds.includes(source))) return false;
  if (event.type === 'run.finished' && settings.statuses.length > 0 && !settings.statuses.includes(event.data.status as never)) return false;
  return true;
}

/**
 * Starts the graphs whose live version has an event-trigger node that accepts a kernel
 * event: one run per event and graph, recorded in `trigger_deliveries`, with the event as
 * the run's input item. A graph never reacts to the events of its own runs.
 */
export class EventTriggerService {
  constructor(private readonly deps: { db: Database; logger: Logger; graphRuns: () => Pick<GraphRunService, 'start'> }) {}

  /**
   * Starts the runs that a batch of events triggers. Each workspace's live event triggers are
   * read once per batch. A failure of one event goes to `onError` and does not stop the others.
   */
  async dispatch(events: KernelEvent[], onError: (event: KernelEvent, error: unknown) => void): Promise<void> {
    const liveByWorkspace = new Map<string, Promise<LiveTriggerRow[]>>();
    for (const event of events) {
      try {
        let live = liveByWorkspace.get(event.workspaceId);
        if (live === undefined) {
          live = this.liveTriggers(event.workspaceId);
          liveByWorkspace.set(event.workspaceId, live);
        }
        await this.dispatchTo(event, await live);
      } catch (error) {
        onError(event, error);
      }
    }
  }

  /** Reads the live versions in a workspace that have an event-trigger node. */
  private liveTriggers(workspaceId: string): Promise<LiveTriggerRow[]> {
    return this.deps.db.query<LiveTriggerRow>(
      `with live as (
         select distinct on (v.graph_id) v.graph_id, v.number, v.definition
         from graph_versions v
         where v.workspace_id = $1 and v.status = 'published'
         order by v.graph_id, v.published_at desc, v.number desc)
       select live.graph_id, live.number as version_number, live.definition->'nodes' as nodes
       from live where live.definition->'nodes' @> $2::jsonb order by live.graph_id`,
      [workspaceId, JSON.stringify([{ type: EVENT_TRIGGER_NODE_TYPE }])],
    );
  }

  private async dispatchTo(event: KernelEvent, rows: LiveTriggerRow[]): Promise<void> {
    if (rows.length === 0) return;

    const depth = await this.chainDepth(event);
    for (const row of rows) {
      if (row.graph_id === sourceGraphOf(event)) continue;
      const node = row.nodes.find((candidate) => {
        if (candidate.type !== EVENT_TRIGGER_NODE_TYPE || candidate.disabled) return false;
        const parsed = eventTriggerSettingsSchema.safeParse(candidate.parameters ?? {});
        return parsed.success && triggerAccepts(parsed.data, event);
      });
      if (!node) continue;
      if (depth >= MAX_EVENT_CHAIN_DEPTH) {
        this.deps.logger.warn({ workspaceId: event.workspaceId, graphId: row.graph_id, eventId: event.id, depth }, `event trigger skipped: the chain of event-triggered runs reached ${MAX_EVENT_CHAIN_DEPTH}`);
        continue;
      }
      await this.startOnce(event, row, node.id, depth);
    }
  }

  /** Number of event-triggered runs that led to the event's run; 0 when its run was started otherwise. */
  private async chainDepth(event: KernelEvent): Promise<number> {
    if (typeof event.data.runId !== 'string') return 0;
    const [row] = await this.deps.db.query<{ depth: number }>(`select depth from trigger_deliveries where run_id = $1`, [event.data.runId]);
    return row ? Number(row.depth) + 1 : 0;
  }

  private async startOnce(event: KernelEvent, row: LiveTriggerRow, nodeId: string, depth: number): Promise<void> {
    const claimed = await this.deps.db.query(
      `insert into trigger_deliveries (event_id, graph_id, workspace_id, node_id, depth) values ($1, $2, $3, $4, $5) on conflict do nothing returning event_id`,
      [event.id, row.graph_id, event.workspaceId, nodeId, depth],
    );
    if (claimed.length === 0) return;

    const ids = { workspaceId: event.workspaceId, graphId: row.graph_id, eventId: event.id };
    try {
      const item = { json: { event: { id: event.id, type: event.type, at: event.createdAt.toISOString(), ...event.data } } };
      const run = await this.deps.graphRuns().start({ workspaceId: event.workspaceId, graphId: row.graph_id, version: row.version_number, input: [item], mode: EVENT_RUN_MODE, createdBy: null, wait: false });
      await this.deps.db.query(`update trigger_deliveries set run_id = $3 where event_id = $1 and graph_id = $2`, [event.id, row.graph_id, run.id]);
      this.deps.logger.info({ ...ids, runId: run.id, type: event.type }, 'event trigger started a run');
    } catch (error) {
      const described = { code: error instanceof MifyError ? error.code : 'internal_error', message: error instanceof Error ? error.message : String(error) };
      await this.deps.db.query(`update trigger_deliveries set error = $3::jsonb where event_id = $1 and graph_id = $2`, [event.id, row.graph_id, toJsonb(described)]);
      this.deps.logger.warn({ ...ids, err: error }, 'event trigger could not start a run');
    }
  }
}
