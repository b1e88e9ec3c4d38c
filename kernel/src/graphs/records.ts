import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { ScheduleHint } from './metadata.js';
import type { MifyGraph } from './model.js';

/** The user, API key or system process that changes a graph, stored as `createdBy` and in the audit log. */
export interface GraphActor {
  type: 'user' | 'api_key' | 'system';
  id: string;
}

/** The version callers of a graph get: the published one with the latest `publishedAt`. */
export interface LiveVersionRef {
  id: string;
  number: number;
  publishedAt: Date;
}

/** A graph as listed: its metadata without the draft document. */
export interface GraphSummary {
  id: string;
  name: string;
  description: string;
  slug: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  endpointAuth: 'api_key' | 'public';
  scheduleHints: ScheduleHint[];
  draftUpdatedAt: Date;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  liveVersion: LiveVersionRef | null;
}

export interface GraphRecord extends GraphSummary {
  draft: MifyGraph;
}

export interface GraphVersionInfo {
  id: string;
  graphId: string;
  number: number;
  status: 'published' | 'archived';
  /** Whether this is the live version (see `LiveVersionRef`). */
  live: boolean;
  /** SHA-256 of the definition as canonical JSON, hex. */
  definitionHash: string;
  createdBy: string | null;
  createdAt: Date;
  /** When the version was last published; republishing an unchanged draft moves it. */
  publishedAt: Date;
  archivedAt: Date | null;
}

export interface GraphVersionRecord extends GraphVersionInfo {
  definition: MifyGraph;
}

export interface GraphRow {
  id: string;
  name: string;
  description: string;
  slug: string | null;
  tags: string[];
  settings: unknown;
  endpointAuth: string;
  scheduleHints: unknown;
  draft?: unknown;
  draftUpdatedAt: Date;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  versions: Array<{ id: string; number: number; publishedAt: Date }>;
}

export interface GraphVersionRow {
  id: string;
  graphId: string;
  number: number;
  status: string;
  definition?: unknown;
  definitionHash: string;
  createdBy: string | null;
  createdAt: Date;
  publishedAt: Date;
  archivedAt: Date | null;
}

/** Prisma `select` of a graph row without its draft, with the live version. */
export const graphSummarySelect = {
  id: true,
  name: true,
  description: true,
  slug: true,
  tags: true,
  settings: true,
  endpointAuth: true,
  scheduleHints: true,
  draftUpdatedAt: true,
  createdBy: true,
  createdAt: true,
  updatedAt: true,
  versions: { where: { status: 'published' }, orderBy: [{ publishedAt: 'desc' }, { number: 'desc' }], take: 1, select: { id: true, number: true, publishedAt: true } },
} satisfies Prisma.GraphSelect;

export const graphRecordSelect = { ...graphSummarySelect, draft: true } satisfies Prisma.GraphSelect;

/** Order of the live-version search: latest publication first, higher number on a tie. */
export const liveVersionOrder: Prisma.GraphVersionOrderByWithRelationInput[] = [{ publishedAt: 'desc' }, { number: 'desc' }];

export function toGraphSummary(row: GraphRow): GraphSummary {
  const live = row.versions[0];
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    slug: row.slug,
    tags: row.tags,
    settings: (row.settings ?? {}) as Record<string, unknown>,
    endpointAuth: row.endpointAuth === 'public' ? 'public' : 'api_key',
    scheduleHints: (row.scheduleHints ?? []) as ScheduleHint[],
    draftUpdatedAt: row.draftUpdatedAt,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    liveVersion: live ? { id: live.id, number: live.number, publishedAt: live.publishedAt } : null,
  };
}

export function toGraphRecord(row: GraphRow): GraphRecord {
  return { ...toGraphSummary(row), draft: row.draft as MifyGraph };
}

export function toVersionInfo(row: GraphVersionRow, liveId: string | null): GraphVersionInfo {
  return {
    id: row.id,
    graphId: row.graphId,
    number: row.number,
    status: row.status === 'archived' ? 'archived' : 'published',
    live: row.id === liveId,
    definitionHash: row.definitionHash,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    publishedAt: row.publishedAt,
    archivedAt: row.archivedAt,
  };
}

export function toVersionRecord(row: GraphVersionRow, liveId: string | null): GraphVersionRecord {
  return { ...toVersionInfo(row, liveId), definition: row.definition as MifyGraph };
}

const graphCursorSchema = z.tuple([z.iso.datetime(), z.string().min(1)]);

/** Encodes the position after a graph in the newest-first list as an opaque string. */
export function encodeGraphCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeGraphCursor(cursor: string): { createdAt: Date; id: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = graphCursorSchema.safeParse(decoded);
  if (!parsed.success) throw new BadRequestError('invalid_cursor', `Cursor '${cursor}' is not valid; pass the nextCursor of a previous page unchanged, or leave it out for the first page.`);
  return { createdAt: new Date(parsed.data[0]), id: parsed.data[1] };
}

/** Checks whether a database error is a unique-constraint violation: Prisma's P2002, or PostgreSQL's 23505 from raw SQL. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505';
}
