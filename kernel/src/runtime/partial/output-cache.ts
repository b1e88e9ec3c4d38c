import type { Item } from '../../graphs/model.js';
import type { Logger } from '../../logger.js';
import type { Database } from '../../storage/database.js';
import { toJsonb } from '../run-store.js';

/** One stored node output. */
export interface CachedOutput {
  nodeId: string;
  contentKey: string;
  items: Item[];
}

export interface NodeOutputCacheLimits {
  /** Largest JSON of one cached output, in bytes. */
  maxOutputBytes: number;
  /** Total JSON size of the cached outputs of one workspace, in bytes; older entries are evicted past it. */
  maxWorkspaceBytes: number;
}

/**
 * The `node_output_cache` table: outputs of deterministic nodes keyed by
 * workspace, graph, node and content key. Every statement filters by
 * workspace. Each workspace is capped in total size, evicting the least
 * recently used outputs first; reuse counts as use.
 */
export class NodeOutputCache {
  constructor(private readonly deps: { db: Database; logger: Logger; limits: NodeOutputCacheLimits }) {}

  get limits(): NodeOutputCacheLimits {
    return this.deps.limits;
  }

  /** Finds the outputs stored for the given node keys and marks them used. */
  async lookup(workspaceId: string, graphId: string, keys: Array<{ nodeId: string; contentKey: string }>): Promise<Map<string, CachedOutput>> {
    const found = new Map<string, CachedOutput>();
    if (keys.length === 0) return found;

    const rows = await this.deps.db.query<{ node_id: string; content_key: string; items: Item[] }>(
      `update node_output_cache set last_used_at = now()
       where workspace_id = $1 and graph_id = $2
         and (node_id, content_key) in (select key->>'nodeId', key->>'contentKey' from jsonb_array_elements($3::jsonb) as key)
       returning node_id, content_key, items`,
      [workspaceId, graphId, toJsonb(keys)],
    );
    for (const row of rows) found.set(row.node_id, { nodeId: row.node_id, contentKey: row.content_key, items: row.items });
    return found;
  }

  /**
   * Stores outputs, replacing an entry with the same key, then evicts the
   * workspace's least recently used entries past its cap. The caller checks
   * `maxOutputBytes` first; `bytes` is each output's JSON size.
   */
  async store(workspaceId: string, graphId: string, outputs: Array<CachedOutput & { bytes: number }>): Promise<void> {
    if (outputs.length === 0) return;

    await this.deps.db.query(
      `insert into node_output_cache (workspace_id, graph_id, node_id, content_key, items, item_count, bytes)
       select $1, $2, entry->>'nodeId', entry->>'contentKey', entry->'items', jsonb_array_length(entry->'items'), (entry->>'bytes')::bigint
       from jsonb_array_elements($3::jsonb) as entry
       on conflict (workspace_id, graph_id, node_id, content_key)
       do update set items = excluded.items, item_count = excluded.item_count, bytes = excluded.bytes, last_used_at = now()`,
      [workspaceId, graphId, toJsonb(outputs.map((output) => ({ nodeId: output.nodeId, contentKey: output.contentKey, items: output.items, bytes: output.bytes })))],
    );
    await this.evict(workspaceId);
  }

  /** Deletes the cached outputs of a workspace, or of one of its graphs; returns how many rows went. */
  async clear(workspaceId: string, graphId?: string): Promise<number> {
    const rows = graphId === undefined
      ? await this.deps.db.query<{ node_id: string }>('delete from node_output_cache where workspace_id = $1 returning node_id', [workspaceId])
      : await this.deps.db.query<{ node_id: string }>('delete from node_output_cache where workspace_id = $1 and graph_id = $2 returning node_id', [workspaceId, graphId]);
    this.deps.logger.info({ workspaceId, graphId: graphId ?? null, deleted: rows.length }, 'node output cache cleared');
    return rows.length;
  }

  /** Total bytes and entries cached for a workspace. */
  async usage(workspaceId: string): Promise<{ entries: number; bytes: number }> {
    const [row] = await this.deps.db.query<{ entries: string | number; bytes: string | number | null }>('select count(*) as entries, sum(bytes) as bytes from node_output_cache where workspace_id = $1', [workspaceId]);
    return { entries: Number(row?.entries ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /** Deletes the least recently used entries of a workspace until its total fits `maxWorkspaceBytes`. */
  private async evict(workspaceId: string): Promise<void> {
    const rows = await this.deps.db.query<{ node_id: string }>(
      `with ranked as (
         select graph_id, node_id, content_key,
           sum(bytes) over (order by last_used_at desc, created_at desc, graph_id, node_id, content_key) as kept_bytes
         from node_output_cache where workspace_id = $1
       )
       delete from node_output_cache cache using ranked
       where cache.workspace_id = $1 and cache.graph_id = ranked.graph_id and cache.node_id = ranked.node_id
         and cache.content_key = ranked.content_key and ranked.kept_bytes > $2
       returning cache.node_id`,
      [workspaceId, this.deps.limits.maxWorkspaceBytes],
    );
    if (rows.length > 0) this.deps.logger.info({ workspaceId, evicted: rows.length, maxWorkspaceBytes: this.deps.limits.maxWorkspaceBytes }, 'evicted least recently used node outputs past the workspace cache cap');
  }
}
