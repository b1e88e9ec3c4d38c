import { z } from 'zod';
import { MifyError } from '../../errors.js';
import type { EndpointCaller, EndpointInvokeResult, EndpointRunResult, PublishedEndpoint } from '../../endpoints/endpoint-service.js';
import { storableText } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** The kernel service behind `endpoints.*`. */
export interface HostEndpointServices {
  list(caller: EndpointCaller, options: { cursor?: string; limit: number; workspace?: string }): Promise<{ data: PublishedEndpoint[]; nextCursor: string | null }>;
  get(caller: EndpointCaller, slug: string, options: { workspace?: string }): Promise<PublishedEndpoint | null>;
  invoke(caller: EndpointCaller, slug: string, request: { input: unknown; wait: boolean; workspace?: string }): Promise<EndpointInvokeResult>;
  result(caller: EndpointCaller, runId: string): Promise<EndpointRunResult | null>;
}

const slugArgument = storableText(200).min(1);
const workspaceOption = storableText(200).min(1).optional();

function endpointServices(scope: HostCallScope, method: string): HostEndpointServices {
  const services = scope.services.endpoints;
  if (!services) throw new MifyError('not_available', 501, `${method} is not available in this kernel: no endpoint service is configured.`);
  return services;
}

/** The caller of the route or node the extension serves; an anonymous caller outside a route. */
function callerOf(scope: HostCallScope): EndpointCaller {
  const caller = scope.context.caller;
  return {
    workspaceId: scope.context.workspaceId,
    apiKeyId: caller?.apiKeyId ?? null,
    userId: caller?.userId ?? null,
    role: caller?.role ?? null,
    clientIp: caller?.clientIp ?? null,
  };
}

/**
 * `endpoints.list`, `endpoints.get` and `endpoints.invoke`: published graphs as the caller of
 * the current route sees them. The caller's identity comes from the kernel's authentication,
 * never from the extension's arguments.
 */
export const endpointMethods: HostMethod[] = [
  defineHostMethod({
    name: 'endpoints.list',
    permission: 'endpoints:read',
    parameters: { options: z.object({ cursor: storableText(200).optional(), limit: z.number().int().min(1).max(100).default(50), workspace: workspaceOption }).strict().default({ limit: 50 }) },
    run: async ({ options }, scope) => endpointServices(scope, 'endpoints.list').list(callerOf(scope), { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}), ...(options.workspace ? { workspace: options.workspace } : {}) }),
  }),
  defineHostMethod({
    name: 'endpoints.get',
    permission: 'endpoints:read',
    parameters: { slug: slugArgument, options: z.object({ workspace: workspaceOption }).strict().default({}) },
    target: ({ slug }) => slug,
    run: async ({ slug, options }, scope) => endpointServices(scope, 'endpoints.get').get(callerOf(scope), slug, options.workspace ? { workspace: options.workspace } : {}),
  }),
  defineHostMethod({
    name: 'endpoints.invoke',
    permission: 'endpoints:run',
    parameters: { slug: slugArgument, request: z.object({ input: z.unknown(), wait: z.boolean().default(true), workspace: workspaceOption }).strict() },
    target: ({ slug }) => slug,
    run: async ({ slug, request }, scope) => {
      const result = await endpointServices(scope, 'endpoints.invoke').invoke(callerOf(scope), slug, { input: request.input, wait: request.wait, ...(request.workspace ? { workspace: request.workspace } : {}) });
      if (result.ok) scope.context.startedRuns?.set(result.runId, result.endpoint.workspaceId);
      return result;
    },
  }),
  defineHostMethod({
    name: 'endpoints.result',
    permission: 'endpoints:run',
    parameters: { runId: storableText(200).min(1) },
    target: ({ runId }) => runId,
    run: async ({ runId }, scope) => endpointServices(scope, 'endpoints.result').result(callerOf(scope), runId),
  }),
];
