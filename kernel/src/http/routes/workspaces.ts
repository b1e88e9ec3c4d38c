import { z } from 'zod';
import { isRole, type Role } from '../../auth/roles.js';
import type { WorkspaceRecord } from '../../auth/users.js';
import type { KernelServices } from '../../container.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.js';
import { scopedClient } from '../../storage/scoped.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { membershipSchema, workspaceSchema } from './auth.js';

const roleSchema = z.enum(['owner', 'editor', 'viewer']);
const memberSchema = z.object({ userId: z.string(), email: z.string(), name: z.string(), role: roleSchema, createdAt: z.date() });

/**
 * Returns the workspace with the caller's role. It builds the object field by field because on
 * Node 20 (V8 11.3) an object spread followed by another property is far slower than a literal.
 */
function membership(workspace: WorkspaceRecord, role: Role): WorkspaceRecord & { role: Role } {
  return { id: workspace.id, slug: workspace.slug, name: workspace.name, role };
}

export function workspaceRoutes(services: () => KernelServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/workspaces',
      operationId: 'listWorkspaces',
      summary: 'List the workspaces of the signed-in user',
      tags: ['workspaces'],
      auth: 'user',
      responses: { 200: { description: 'Workspaces with the caller’s role', schema: z.object({ items: z.array(membershipSchema) }) } },
      handler: async ({ user }) => ({ body: { items: await services().userService.listMemberships(user!.userId) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/workspaces',
      operationId: 'createWorkspace',
      summary: 'Create a workspace owned by the signed-in user',
      tags: ['workspaces'],
      auth: 'user',
      idempotent: true,
      body: z.object({ name: z.string().trim().min(1).max(100), slug: z.string().trim().max(48).optional() }),
      responses: { 201: { description: 'Workspace created', schema: workspaceSchema } },
      handler: async ({ user, body }) => ({ status: 201, body: await services().userService.createWorkspace({ name: body.name, slug: body.slug, ownerId: user!.userId }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/workspace',
      operationId: 'getCurrentWorkspace',
      summary: 'The workspace this request acts in, and the caller’s role there',
      tags: ['workspaces'],
      auth: 'workspace',
      responses: { 200: { description: 'Current workspace', schema: membershipSchema } },
      handler: ({ principal }) => {
        // A cached workspace is returned without waiting for a promise.
        const { userService } = services();
        const cached = userService.cachedWorkspace(principal!.workspaceId);
        if (cached) return { body: membership(cached, principal!.role) };
        return userService.findWorkspace(principal!.workspaceId).then((workspace) => ({ body: membership(workspace!, principal!.role) }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/workspace/members',
      operationId: 'listMembers',
      summary: 'List the members of the current workspace',
      tags: ['workspaces'],
      auth: 'workspace',
      responses: { 200: { description: 'Members', schema: z.object({ items: z.array(memberSchema) }) } },
      handler: async ({ principal }) => {
        const rows = await scopedClient(services().db.prisma, principal!.workspaceId).membership.findMany({ include: { user: true }, orderBy: { createdAt: 'asc' } });
        return { body: { items: rows.map((row) => ({ userId: row.userId, email: row.user.email, name: row.user.name, role: row.role as 'owner', createdAt: row.createdAt })) } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/workspace/members/:userId',
      operationId: 'setMember',
      summary: 'Add an existing user to the current workspace, or change their role',
      tags: ['workspaces'],
      auth: 'workspace',
      access: 'manage',
      params: z.object({ userId: z.string().describe('User id, or the user’s email') }),
      body: z.object({ role: roleSchema }),
      responses: { 200: { description: 'Membership', schema: memberSchema } },
      handler: async ({ principal, params, body }) => {
        const s = services();
        const user = params.userId.includes('@') ? await s.userService.findByEmail(params.userId) : await s.db.prisma.user.findUnique({ where: { id: params.userId } });
        if (!user) throw new NotFoundError('User', params.userId);
        const db = scopedClient(s.db.prisma, principal!.workspaceId);
        await guardLastOwner(db, user.id, body.role);
        const row = await db.membership.upsert({
          where: { workspaceId_userId: { workspaceId: principal!.workspaceId, userId: user.id } },
          create: { userId: user.id, role: body.role } as never,
          update: { role: body.role },
        });
        return { body: { userId: user.id, email: user.email, name: user.name, role: row.role as 'owner', createdAt: row.createdAt } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/workspace/members/:userId',
      operationId: 'removeMember',
      summary: 'Remove a member from the current workspace',
      tags: ['workspaces'],
      auth: 'workspace',
      access: 'manage',
      params: z.object({ userId: z.string() }),
      responses: { 204: { description: 'Removed' } },
      handler: async ({ principal, params }) => {
        const db = scopedClient(services().db.prisma, principal!.workspaceId);
        await guardLastOwner(db, params.userId, null);
        const { count } = await db.membership.deleteMany({ where: { userId: params.userId } });
        if (count === 0) throw new NotFoundError('Member', params.userId);
        return { status: 204 };
      },
    }),
  ];
}

/** Keeps at least one owner in every workspace. */
async function guardLastOwner(db: ReturnType<typeof scopedClient>, userId: string, newRole: string | null): Promise<void> {
  if (newRole !== null && !isRole(newRole)) throw new ForbiddenError(`Unknown role '${newRole}'.`);
  if (newRole === 'owner') return;
  const current = await db.membership.findFirst({ where: { userId } });
  if (current?.role !== 'owner') return;
  const owners = await db.membership.count({ where: { role: 'owner' } });
  if (owners <= 1) throw new ConflictError('This is the workspace’s last owner; make another member owner first.');
}
