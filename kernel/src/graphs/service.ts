import type { AuditLog } from '../audit/audit-log.js';
import { newId } from '../auth/tokens.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NodeTypeResolver } from '../runtime/types.js';
import type { Database } from '../storage/database.js';
import { scopedClient, type ScopedClient } from '../storage/scoped.js';
import type { DiffSide, GraphDiff } from './diff.js';
import { createGraphSchema, graphMetadataPatchSchema } from './metadata.js';
import { mifyGraphSchema } from './model.js';
import {
  decodeGraphCursor,
  encodeGraphCursor,
  graphRecordSelect,
  graphSummarySelect,
  isUniqueViolation,
  toGraphRecord,
  toGraphSummary,
  type GraphActor,
  type GraphRecord,
  type GraphSummary,
  type GraphVersionInfo,
  type GraphVersionRecord,
} from './records.js';
import { validateGraph, type GraphProblem } from './validate.js';
import { GraphVersions } from './versions.js';

/** Node types to validate against; `snapshot()`, when present, freezes them for one validation. */
export type NodeTypeSource = NodeTypeResolver & { snapshot?(): NodeTypeResolver };

export interface GraphServiceDeps {
  db: Database;
  logger: Logger;
  auditLog: AuditLog;
  nodeTypes: NodeTypeSource;
}

export const DEFAULT_GRAPH_PAGE_SIZE = 50;
export const MAX_GRAPH_PAGE_SIZE = 200;

/** Problems shown in the `detail` of a 422 response; the `errors` member lists all of them. */
const PROBLEMS_IN_DETAIL = 3;

/** Called after a draft is saved, with the stored definition. */
export type DraftSavedListener = (saved: { workspaceId: string; graphId: string; draft: unknown; draftUpdatedAt: Date }) => void | Promise<void>;

/**
 * Graphs of a workspace: metadata, the editable draft and its published
 * versions. Every query goes through a workspace-scoped client, so an id from
 * another workspace is reported as not found.
 */
export class GraphService {
  private readonly versionStore: GraphVersions;
  private readonly draftListeners = new Set<DraftSavedListener>();
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly deps: GraphServiceDeps) {
    this.versionStore = new GraphVersions({ ...deps, validate: (definition, label) => this.validateOrThrow(definition, label) });
  }

  /**
   * Calls `listener` after each draft saved through this service, in this process. Returns
   * the function that removes it. A listener that throws is logged and does not fail the save.
   */
  onDraftSaved(listener: DraftSavedListener): () => void {
    this.draftListeners.add(listener);
    return () => this.draftListeners.delete(listener);
  }

  /**
   * Calls `listener` after a graph was created, deleted, published, archived or had its
   * metadata changed through this service, in this process. Returns the function that removes it.
   */
  onChanged(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch (error) {
        this.deps.logger.error({ err: error }, 'a graph-changed listener failed; the change was made');
      }
    }
  }

  /** Returns the node types installed now: the same object until extensions change. */
  nodeTypesSnapshot(): unknown {
    return this.deps.nodeTypes.snapshot?.() ?? this.deps.nodeTypes;
  }

  /** Validates a graph document against the node types installed now. */
  validate(definition: unknown): ReturnType<typeof validateGraph> {
    const resolver = this.deps.nodeTypes.snapshot?.() ?? this.deps.nodeTypes;
    return validateGraph(definition, resolver);
  }
  async create(workspaceId: string, actor: GraphActor, input: unknown): Promise<GraphRecord> {
    const parsed = createGraphSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(`The new graph is invalid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}.`, parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
    const fields = parsed.data;

    const draft = fields.definition === undefined ? mifyGraphSchema.parse({ nodes: [], edges: [] }) : this.validateOrThrow(fields.definition, 'The definition', '$.definition');
    const db = this.scoped(workspaceId);
    if (fields.slug !== undefined) await this.assertSlugFree(db, fields.slug, null);

    const id = newId('graph');
    const row = await this.withSlugConflict(fields.slug ?? null, () =>
      db.graph.create({
        data: {
          id,
          workspaceId,
          name: fields.name,
          description: fields.description ?? '',
          slug: fields.slug ?? null,
          tags: fields.tags ?? [],
          settings: withoutNulls(fields.settings ?? {}) as never,
          endpointAuth: fields.endpointAuth ?? 'api_key',
          scheduleHints: (fields.scheduleHints ?? []) as never,
          draft: draft as never,
          createdBy: actor.id,
        },
        select: graphRecordSelect,
      }),
    );
    this.deps.logger.info({ workspaceId, graphId: id, actor: actor.id }, 'graph created');
    this.changed();
    return toGraphRecord(row);
  }

  async get(workspaceId: string, id: string): Promise<GraphRecord> {
    const row = await this.scoped(workspaceId).graph.findUnique({ where: { id }, select: graphRecordSelect });
    if (!row) throw new NotFoundError('Graph', id);
    return toGraphRecord(row);
  }

  /** Lists graphs newest first. `tag` keeps graphs with that tag; `q` matches name or description, ignoring case. */
  async list(workspaceId: string, options: { cursor?: string; limit?: number; tag?: string; q?: string } = {}): Promise<{ items: GraphSummary[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(options.limit ?? DEFAULT_GRAPH_PAGE_SIZE, 1), MAX_GRAPH_PAGE_SIZE);
    const filters: object[] = [];
    if (options.tag) filters.push({ tags: { has: options.tag } });
    if (options.q) filters.push({ OR: [{ name: { contains: options.q, mode: 'insensitive' } }, { description: { contains: options.q, mode: 'insensitive' } }] });
    if (options.cursor) {
      const after = decodeGraphCursor(options.cursor);
      filters.push({ OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] });
    }

    const rows = await this.scoped(workspaceId).graph.findMany({
      where: { AND: filters },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      select: graphSummarySelect,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toGraphSummary), nextCursor: rows.length > limit && last ? encodeGraphCursor(last) : null };
  }

  /**
   * Changes metadata fields (see `graphMetadataPatchSchema`): other fields are
   * rejected by name, and `settings` is merged key by key.
   */
  async updateMetadata(workspaceId: string, id: string, patch: unknown): Promise<GraphRecord> {
    const db = this.scoped(workspaceId);
    const current = await db.graph.findUnique({ where: { id }, select: { settings: true } });
    if (!current) throw new NotFoundError('Graph', id);

    const parsed = graphMetadataPatchSchema.safeParse(patch);
    if (!parsed.success) throw new ValidationError(`The graph metadata is invalid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}.`, parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
    const fields = parsed.data;
    if (fields.slug) await this.assertSlugFree(db, fields.slug, id);

    const data: Record<string, unknown> = { updatedAt: new Date() };
    for (const key of ['name', 'description', 'slug', 'tags', 'endpointAuth', 'scheduleHints'] as const) {
      if (fields[key] !== undefined) data[key] = fields[key];
    }
    if (fields.settings !== undefined) data.settings = withoutNulls({ ...(current.settings as Record<string, unknown>), ...fields.settings });

    const row = await this.withSlugConflict(fields.slug ?? null, () => db.graph.update({ where: { id }, data, select: graphRecordSelect }));
    this.changed();
    return toGraphRecord(row);
  }

  /** Replaces the draft with a new definition, after validating it. */
  async saveDraft(workspaceId: string, id: string, definition: unknown): Promise<GraphRecord> {
    const db = this.scoped(workspaceId);
    if (!(await db.graph.findUnique({ where: { id }, select: { id: true } }))) throw new NotFoundError('Graph', id);

    const draft = this.validateOrThrow(definition, 'The definition');
    const now = new Date();
    const row = await db.graph.update({ where: { id }, data: { draft: draft as never, draftUpdatedAt: now, updatedAt: now }, select: graphRecordSelect });
    const record = toGraphRecord(row);
    for (const listener of this.draftListeners) {
      try {
        await listener({ workspaceId, graphId: id, draft: record.draft, draftUpdatedAt: now });
      } catch (error) {
        this.deps.logger.error({ err: error, workspaceId, graphId: id }, 'a draft-saved listener failed; the draft was saved');
      }
    }
    return record;
  }

  /** Deletes a graph with all its versions. */
  async delete(workspaceId: string, id: string, actor: GraphActor): Promise<void> {
    const { count } = await this.scoped(workspaceId).graph.deleteMany({ where: { id } });
    if (count === 0) throw new NotFoundError('Graph', id);
    this.changed();

    this.deps.logger.info({ workspaceId, graphId: id, actor: actor.id }, 'graph deleted');
    await this.deps.auditLog.record({ workspaceId, actorType: actor.type, actorId: actor.id, action: 'graph.delete', target: id });
  }

  /** Checks the stored draft against the node types installed now. */
  async validateDraft(workspaceId: string, id: string): Promise<{ ok: boolean; problems: GraphProblem[] }> {
    const graph = await this.get(workspaceId, id);
    const result = this.validate(graph.draft);
    return result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems };
  }

  listVersions(workspaceId: string, graphId: string, options: { cursor?: string; limit?: number } = {}): Promise<{ items: GraphVersionInfo[]; nextCursor: string | null }> {
    return this.versionStore.list(this.scoped(workspaceId), graphId, options);
  }

  getVersion(workspaceId: string, graphId: string, versionRef: string): Promise<GraphVersionRecord> {
    return this.versionStore.get(this.scoped(workspaceId), graphId, versionRef);
  }

  /** See `GraphVersions.publish`. */
  async publish(workspaceId: string, graphId: string, actor: GraphActor): Promise<{ version: GraphVersionInfo; created: boolean }> {
    const result = await this.versionStore.publish(this.scoped(workspaceId), workspaceId, graphId, actor);
    this.changed();
    return result;
  }

  /** See `GraphVersions.archive`. */
  async archive(workspaceId: string, graphId: string, actor: GraphActor, versionRef?: string): Promise<{ archived: GraphVersionInfo; live: GraphVersionInfo | null }> {
    const result = await this.versionStore.archive(this.scoped(workspaceId), workspaceId, graphId, actor, versionRef);
    this.changed();
    return result;
  }

  /** Replaces the draft with a version's definition. The result is not validated again, so a version whose node types were uninstalled can still be restored. */
  async draftFromVersion(workspaceId: string, graphId: string, versionRef: string, actor: GraphActor): Promise<GraphRecord> {
    const db = this.scoped(workspaceId);
    const version = await this.versionStore.get(db, graphId, versionRef);
    const now = new Date();
    const row = await db.graph.update({ where: { id: graphId }, data: { draft: version.definition as never, draftUpdatedAt: now, updatedAt: now }, select: graphRecordSelect });

    this.deps.logger.info({ workspaceId, graphId, versionId: version.id, actor: actor.id }, 'graph draft replaced from a version');
    return toGraphRecord(row);
  }

  /** Compares two of a graph's versions; either reference may be `draft`, a version id or a version number. */
  diff(workspaceId: string, graphId: string, fromRef: string, toRef: string): Promise<GraphDiff & { from: DiffSide; to: DiffSide }> {
    return this.versionStore.diff(this.scoped(workspaceId), graphId, fromRef, toRef);
  }

  private scoped(workspaceId: string): ScopedClient {
    return scopedClient(this.deps.db.prisma, workspaceId);
  }

  /**
   * Returns the normalised graph, or throws a 422 listing every problem.
   * `root` replaces the `$` of problem paths, for definitions nested in a body.
   */
  private validateOrThrow(definition: unknown, label: string, root = '$') {
    const result = this.validate(definition);
    if (result.ok) return result.graph;

    const problems = result.problems.map((problem) => ({ ...problem, path: root + problem.path.slice(1) }));
    const firstMessages = problems.slice(0, PROBLEMS_IN_DETAIL).map((problem) => problem.message).join(' ');
    const more = problems.length > PROBLEMS_IN_DETAIL ? ` …and ${problems.length - PROBLEMS_IN_DETAIL} more in 'errors'.` : '';
    throw new ValidationError(`${label} has ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}: ${firstMessages}${more}`, problems);
  }

  private async assertSlugFree(db: ScopedClient, slug: string, exceptId: string | null): Promise<void> {
    const other = await db.graph.findFirst({ where: { slug, ...(exceptId ? { NOT: { id: exceptId } } : {}) }, select: { id: true } });
    if (other) throw slugConflict(slug);
  }

  /** Turns a unique violation on the slug (a concurrent writer won the race) into a 409. */
  private async withSlugConflict<T>(slug: string | null, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (slug !== null && isUniqueViolation(error)) throw slugConflict(slug);
      throw error;
    }
  }
}

function slugConflict(slug: string): ConflictError {
  return new ConflictError(`Slug '${slug}' is already used by another graph in this workspace; choose another slug.`, { slug });
}

function withoutNulls(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== null));
}
