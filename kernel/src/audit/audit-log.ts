import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';

export interface AuditEntry {
  workspaceId: string | null;
  actorType: 'user' | 'api_key' | 'extension' | 'node' | 'system';
  actorId: string;
  /** Dotted verb such as `credential.read` or `extension.host_call`. */
  action: string;
  target?: string;
  /** Extra facts; must never hold a secret. */
  details?: Record<string, unknown>;
  /** When it happened; default the time of the insert. Buffered writers set it when the entry is made. */
  at?: Date;
}

/** Appends rows to the audit log. */
export class AuditLog {
  constructor(private readonly deps: { db: Database; logger: Logger }) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.deps.db.prisma.auditLog.create({
      data: {
        workspaceId: entry.workspaceId,
        actorType: entry.actorType,
        actorId: entry.actorId,
        action: entry.action,
        target: entry.target ?? null,
        details: (entry.details ?? undefined) as never,
        ...(entry.at ? { at: entry.at } : {}),
      },
    });
  }

  /** Appends `entries` in one statement, in their order. A failure writes none of them. */
  async recordMany(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((entry) => ({
      at: (entry.at ?? new Date()).toISOString(),
      workspace_id: entry.workspaceId,
      actor_type: entry.actorType,
      actor_id: entry.actorId,
      action: entry.action,
      target: entry.target ?? null,
      details: entry.details ?? null,
    }));
    await this.deps.db.query(
      `insert into audit_log (at, workspace_id, actor_type, actor_id, action, target, details)
       select (e.value->>'at')::timestamptz, e.value->>'workspace_id', e.value->>'actor_type', e.value->>'actor_id', e.value->>'action', e.value->>'target', nullif(e.value->'details', 'null'::jsonb)
       from jsonb_array_elements($1::jsonb) with ordinality as e(value, position)
       order by e.position`,
      [JSON.stringify(rows)],
    );
  }

  /** Returns entries newest first; ids are strings because they are 64-bit. */
  async list(workspaceId: string, options: { action?: string; limit?: number } = {}) {
    const rows = await this.deps.db.prisma.auditLog.findMany({
      where: { workspaceId, ...(options.action ? { action: options.action } : {}) },
      orderBy: { id: 'desc' },
      take: Math.min(options.limit ?? 100, 1000),
    });
    return rows.map((row) => ({ ...row, id: String(row.id) }));
  }
}
