import type { AuditLog } from '../audit/audit-log.js';
import { newId } from '../auth/tokens.js';
import { BadRequestError, ConflictError, MifyError, NotFoundError } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { ScopedClient } from '../storage/scoped.js';
import { definitionHash } from './canonical.js';
import { diffGraphs, type DiffSide, type GraphDiff } from './diff.js';
import { mifyGraphSchema, type MifyGraph } from './model.js';
import { isUniqueViolation, liveVersionOrder, toVersionInfo, toVersionRecord, type GraphActor, type GraphVersionInfo, type GraphVersionRecord, type GraphVersionRow } from './records.js';

export const DEFAULT_VERSION_PAGE_SIZE = 50;
export const MAX_VERSION_PAGE_SIZE = 200;

/** Attempts at taking the next version number when concurrent publishes collide. */
const PUBLISH_ATTEMPTS = 5;

/** Reference to the draft in diff routes. */
export const DRAFT_REF = 'draft';

const versionInfoSelect = {
  id: true,
  graphId: true,
  number: true,
  status: true,
  definitionHash: true,
  createdBy: true,
  createdAt: true,
  publishedAt: true,
  archivedAt: true,
} satisfies Prisma.GraphVersionSelect;

/**
 * Published versions of graphs. A version is an immutable snapshot of the
 * draft. The live version is the `published` one with the latest
 * `publishedAt`, so archiving it makes the previously published one live, or
 * none. Every method takes a workspace-scoped client.
 */
export class GraphVersions {
  constructor(private readonly deps: { logger: Logger; auditLog: AuditLog; validate: (definition: unknown, label: string) => MifyGraph }) {}

  /** Lists a graph's versions, highest number first, without their definitions. The cursor is the last number of the previous page. */
  async list(db: ScopedClient, graphId: string, options: { cursor?: string; limit?: number }): Promise<{ items: GraphVersionInfo[]; nextCursor: string | null }> {
    await this.assertGraph(db, graphId);
    const limit = Math.min(Math.max(options.limit ?? DEFAULT_VERSION_PAGE_SIZE, 1), MAX_VERSION_PAGE_SIZE);
    let before: number | undefined;
    if (options.cursor !== undefined) {
      if (!/^[1-9]\d{0,9}$/.test(options.cursor)) throw new BadRequestError('invalid_cursor', `Cursor '${options.cursor}' is not valid; pass the nextCursor of a previous page unchanged.`);
      before = Number(options.cursor);
    }

    const rows = await db.graphVersion.findMany({
      where: { graphId, ...(before !== undefined ? { number: { lt: before } } : {}) },
      orderBy: { number: 'desc' },
      take: limit + 1,
      select: versionInfoSelect,
    });
    const liveId = (await this.live(db, graphId))?.id ?? null;
    const page = rows.slice(0, limit);
    return { items: page.map((row) => toVersionInfo(row, liveId)), nextCursor: rows.length > limit ? String(page[page.length - 1]!.number) : null };
  }

  /** Finds a version by id or by number. */
  async get(db: ScopedClient, graphId: string, versionRef: string): Promise<GraphVersionRecord> {
    await this.assertGraph(db, graphId);
    const row = await this.find(db, graphId, versionRef, { definition: true });
    const liveId = (await this.live(db, graphId))?.id ?? null;
    return toVersionRecord(row, liveId);
  }

  /**
   * Publishes the draft after validating it. An unchanged draft is not
   * snapshotted again: its existing version is returned with `created: false`,
   * and made live again if it had been archived or superseded.
   */
  async publish(db: ScopedClient, workspaceId: string, graphId: string, actor: GraphActor): Promise<{ version: GraphVersionInfo; created: boolean }> {
    const graph = await db.graph.findUnique({ where: { id: graphId }, select: { draft: true } });
    if (!graph) throw new NotFoundError('Graph', graphId);
    const definition = this.deps.validate(graph.draft, 'The draft');
    const hash = definitionHash(definition);

    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt += 1) {
      const existing = await db.graphVersion.findFirst({ where: { graphId, definitionHash: hash }, select: versionInfoSelect });
      if (existing) return { version: await this.republish(db, workspaceId, graphId, existing, actor), created: false };

      const { _max } = await db.graphVersion.aggregate({ where: { graphId }, _max: { number: true } });
      const number = (_max.number ?? 0) + 1;
      try {
        const row = await db.graphVersion.create({
          data: { id: newId('gver'), graphId, workspaceId, number, status: 'published', definition: definition as never, definitionHash: hash, createdBy: actor.id },
          select: versionInfoSelect,
        });
        this.deps.logger.info({ workspaceId, graphId, versionId: row.id, number, actor: actor.id }, 'graph version published');
        await this.deps.auditLog.record({ workspaceId, actorType: actor.type, actorId: actor.id, action: 'graph.publish', target: graphId, details: { versionId: row.id, number } });
        return { version: toVersionInfo(row, row.id), created: true };
      } catch (error) {
        // A concurrent publish took this number or this definition; look again.
        if (!isUniqueViolation(error)) throw error;
        this.deps.logger.warn({ workspaceId, graphId, number, attempt }, 'concurrent publish collided; retrying');
      }
    }
    throw new ConflictError(`Graph '${graphId}' is being published by other requests at the same time; retry in a moment.`);
  }

  /**
   * Archives a version, by default the live one. Archiving an archived
   * version changes nothing. Returns the archived version and the version
   * live afterwards.
   */
  async archive(db: ScopedClient, workspaceId: string, graphId: string, actor: GraphActor, versionRef?: string): Promise<{ archived: GraphVersionInfo; live: GraphVersionInfo | null }> {
    await this.assertGraph(db, graphId);
    const target = versionRef !== undefined ? await this.find(db, graphId, versionRef) : await this.live(db, graphId);
    if (!target) throw new ConflictError(`Graph '${graphId}' has no published version to archive; publish one first, or name a version with ?versionId=.`);

    let archived = target;
    if (target.status !== 'archived') {
      archived = await db.graphVersion.update({ where: { id: target.id }, data: { status: 'archived', archivedAt: new Date() }, select: versionInfoSelect });
      this.deps.logger.info({ workspaceId, graphId, versionId: target.id, actor: actor.id }, 'graph version archived');
      await this.deps.auditLog.record({ workspaceId, actorType: actor.type, actorId: actor.id, action: 'graph.archive', target: graphId, details: { versionId: target.id, number: target.number } });
    }

    const live = await this.live(db, graphId);
    return { archived: toVersionInfo(archived, live?.id ?? null), live: live ? toVersionInfo(live, live.id) : null };
  }

  async diff(db: ScopedClient, graphId: string, fromRef: string, toRef: string): Promise<GraphDiff & { from: DiffSide; to: DiffSide }> {
    const graph = await db.graph.findUnique({ where: { id: graphId }, select: { draft: true } });
    if (!graph) throw new NotFoundError('Graph', graphId);

    const load = async (ref: string): Promise<{ side: DiffSide; definition: MifyGraph }> => {
      if (ref === DRAFT_REF) return { side: { ref, versionId: null, number: null }, definition: readDocument(graph.draft, `the draft of graph '${graphId}'`) };
      const version = await this.find(db, graphId, ref, { definition: true });
      return { side: { ref, versionId: version.id, number: version.number }, definition: readDocument(version.definition, `version ${version.number} of graph '${graphId}'`) };
    };
    const from = await load(fromRef);
    const to = await load(toRef);
    return { from: from.side, to: to.side, ...diffGraphs(from.definition, to.definition) };
  }

  private async republish(db: ScopedClient, workspaceId: string, graphId: string, existing: GraphVersionRow, actor: GraphActor): Promise<GraphVersionInfo> {
    const live = await this.live(db, graphId);
    if (live?.id === existing.id) return toVersionInfo(existing, existing.id);

    const row = await db.graphVersion.update({ where: { id: existing.id }, data: { status: 'published', publishedAt: new Date(), archivedAt: null }, select: versionInfoSelect });
    this.deps.logger.info({ workspaceId, graphId, versionId: row.id, number: row.number, actor: actor.id }, 'unchanged draft published again; its version is live again');
    await this.deps.auditLog.record({ workspaceId, actorType: actor.type, actorId: actor.id, action: 'graph.publish', target: graphId, details: { versionId: row.id, number: row.number, republished: true } });
    return toVersionInfo(row, row.id);
  }

  private async live(db: ScopedClient, graphId: string): Promise<GraphVersionRow | null> {
    return db.graphVersion.findFirst({ where: { graphId, status: 'published' }, orderBy: liveVersionOrder, select: versionInfoSelect });
  }

  private async find(db: ScopedClient, graphId: string, versionRef: string, extra: { definition?: true } = {}): Promise<GraphVersionRow> {
    const byNumber = /^[1-9]\d{0,9}$/.test(versionRef) ? Number(versionRef) : null;
    const where = byNumber !== null ? { graphId, number: byNumber } : { graphId, id: versionRef };
    const row = await db.graphVersion.findFirst({ where, select: { ...versionInfoSelect, ...extra } });
    if (!row) throw new NotFoundError('Graph version', versionRef);
    return row;
  }

  private async assertGraph(db: ScopedClient, graphId: string): Promise<void> {
    if (!(await db.graph.findUnique({ where: { id: graphId }, select: { id: true } }))) throw new NotFoundError('Graph', graphId);
  }
}

/** Reads a stored graph document; they are stored after validation, so a failure means the model changed incompatibly. */
function readDocument(value: unknown, source: string): MifyGraph {
  const parsed = mifyGraphSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new MifyError('stored_graph_unreadable', 500, `The stored document of ${source} no longer matches the graph model: ${parsed.error.issues[0]?.message ?? 'unknown problem'}. Save the draft again to normalise it.`);
}
