import { Prisma } from '../generated/prisma/client.js';
import type { PrismaClient } from './database.js';

/**
 * Models whose rows belong to one workspace. Every query through a scoped
 * client gets `workspaceId` added to its filter and to the data it writes, so a
 * route that omits a check still cannot reach another workspace's rows.
 */
export const WORKSPACE_SCOPED_MODELS = new Set<string>(['ApiKey', 'Credential', 'Membership', 'AuditLog', 'Graph', 'GraphVersion']);

const FILTERED_OPERATIONS = new Set([
  'findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany',
  'update', 'updateMany', 'delete', 'deleteMany', 'count', 'aggregate', 'groupBy', 'upsert',
]);

function scopeArgs(operation: string, args: Record<string, any>, workspaceId: string): Record<string, any> {
  const scoped = { ...args };
  if (FILTERED_OPERATIONS.has(operation)) scoped.where = { ...(args.where ?? {}), workspaceId };
  if (operation === 'create') scoped.data = { ...args.data, workspaceId };
  if (operation === 'createMany' || operation === 'createManyAndReturn') {
    const rows = Array.isArray(args.data) ? args.data : [args.data];
    scoped.data = rows.map((row: Record<string, unknown>) => ({ ...row, workspaceId }));
  }
  if (operation === 'upsert') scoped.create = { ...args.create, workspaceId };
  if ((operation === 'update' || operation === 'updateMany' || operation === 'upsert') && args.data && 'workspaceId' in args.data) {
    // Moving a row to another workspace is never allowed through a scoped client.
    const { workspaceId: _ignored, ...rest } = args.data;
    scoped.data = rest;
  }
  return scoped;
}

/**
 * Returns a Prisma client that sees only `workspaceId`'s rows of the
 * workspace-scoped models. Other models pass through unchanged.
 *
 * @example
 * const db = scopedClient(prisma, 'ws_123');
 * await db.apiKey.findMany(); // only ws_123's keys
 */
export function scopedClient(prisma: PrismaClient, workspaceId: string) {
  return prisma.$extends(
    Prisma.defineExtension({
      name: 'workspace-scope',
      query: {
        $allModels: {
          async $allOperations({ model, operation, args, query }) {
            if (!WORKSPACE_SCOPED_MODELS.has(model)) return query(args);
            return query(scopeArgs(operation, (args ?? {}) as Record<string, any>, workspaceId) as typeof args);
          },
        },
      },
    }),
  );
}

export type ScopedClient = ReturnType<typeof scopedClient>;
