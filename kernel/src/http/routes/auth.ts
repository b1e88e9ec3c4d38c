import { generateCookie } from 'hono/cookie';
import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { SESSION_COOKIE } from '../middleware.js';
import { defineRoute, type RouteSpec } from '../route.js';

const email = z.string().trim().max(320).describe('Email address');
const password = z.string().max(1024).describe('Password, at least 8 characters');

const userSchema = z.object({ id: z.string(), email: z.string(), name: z.string() });
const workspaceSchema = z.object({ id: z.string(), slug: z.string(), name: z.string() });
const membershipSchema = workspaceSchema.extend({ role: z.enum(['owner', 'editor', 'viewer']) });
const meSchema = z.object({ user: userSchema, workspaces: z.array(membershipSchema) });

/** Returns the Set-Cookie header value that stores a session token in the browser. */
function sessionCookie(services: KernelServices, token: string, expiresAt: Date): string {
  return generateCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Lax', path: '/', secure: services.config.cookieSecure, expires: expiresAt });
}

export function authRoutes(services: () => KernelServices): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/setup/status',
      operationId: 'getSetupStatus',
      summary: 'Tell whether first-run setup is still needed',
      tags: ['auth'],
      auth: 'public',
      responses: { 200: { description: 'Setup state', schema: z.object({ needsSetup: z.boolean() }) } },
      handler: async () => ({ body: { needsSetup: await services().userService.needsSetup() } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/setup',
      operationId: 'completeSetup',
      summary: 'Create the owner and the first workspace, and sign the owner in',
      tags: ['auth'],
      auth: 'public',
      body: z.object({ email, password, name: z.string().trim().max(200).optional(), workspace: z.string().trim().min(1).max(100).describe('Name of the first workspace') }),
      responses: { 201: { description: 'Owner and workspace created', schema: z.object({ user: userSchema, workspace: workspaceSchema }) } },
      handler: async ({ body }) => {
        const s = services();
        const result = await s.userService.setup(body);
        const session = await s.sessionService.create(result.user.id);
        return {
          status: 201,
          headers: { 'set-cookie': sessionCookie(s, session.token, session.expiresAt) },
          body: { user: { id: result.user.id, email: result.user.email, name: result.user.name }, workspace: result.workspace },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/auth/login',
      operationId: 'login',
      summary: 'Sign in with email and password; sets the session cookie',
      tags: ['auth'],
      auth: 'public',
      body: z.object({ email, password }),
      responses: { 200: { description: 'Signed in', schema: meSchema } },
      handler: async ({ body }) => {
        const s = services();
        const user = await s.userService.authenticate(body.email, body.password);
        const session = await s.sessionService.create(user.id);
        return {
          headers: { 'set-cookie': sessionCookie(s, session.token, session.expiresAt) },
          body: { user: { id: user.id, email: user.email, name: user.name }, workspaces: await s.userService.listMemberships(user.id) },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/auth/logout',
      operationId: 'logout',
      summary: 'End the current session',
      tags: ['auth'],
      auth: 'public',
      responses: { 204: { description: 'Signed out' } },
      handler: async ({ c }) => {
        const token = c.get('request').sessionToken;
        if (token) await services().sessionService.revoke(token);
        return { status: 204, headers: { 'set-cookie': generateCookie(SESSION_COOKIE, '', { path: '/', maxAge: 0 }) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/auth/me',
      operationId: 'getMe',
      summary: 'The signed-in user and their workspaces',
      tags: ['auth'],
      auth: 'user',
      responses: { 200: { description: 'Current user', schema: meSchema } },
      handler: async ({ user }) => ({
        body: { user: { id: user!.userId, email: user!.email, name: user!.name }, workspaces: await services().userService.listMemberships(user!.userId) },
      }),
    }),
  ];
}

export { membershipSchema, userSchema, workspaceSchema };
