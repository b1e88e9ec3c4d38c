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
      },
    });
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
