import net from 'node:net';
import { z } from 'zod';
import type { KernelServices } from '../../container.js';
import { KERNEL_VERSION } from '../../version.js';
import { buildOpenApiDocument } from '../openapi.js';
import { defineRoute, type RouteSpec } from '../route.js';

const checkSchema = z.object({ status: z.enum(['ok', 'error']), backend: z.string(), latencyMs: z.number().optional(), error: z.string().optional() });
const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptimeSeconds: z.number(),
  checks: z.object({ storage: checkSchema, sharedState: checkSchema, temporal: checkSchema.optional() }),
  extensions: z
    .object({ loading: z.boolean(), active: z.number().int(), failed: z.number().int() })
    .describe('`mify start` answers before it has loaded the extensions; `loading` is true until then. A request for an extension route waits for them meanwhile.'),
});

async function timed(backend: string, probe: () => Promise<unknown>): Promise<z.infer<typeof checkSchema>> {
  const started = performance.now();
  try {
    await probe();
    return { status: 'ok', backend, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { status: 'error', backend, error: (error as Error).message };
  }
}

/** Opens and closes a TCP connection to host:port within `timeoutMs`. */
function probeTcp(address: string, timeoutMs: number): Promise<void> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`connection to ${address} timed out after ${timeoutMs} ms`));
    });
    socket.once('error', (error) => reject(error));
  });
}

/** Health checks are reused for this long, in milliseconds, so frequent probes do not load the database. */
const HEALTH_CACHE_MS = 1_000;

export function systemRoutes(services: () => KernelServices): RouteSpec[] {
  const startedAt = Date.now();
  let cached: { checks: z.infer<typeof healthSchema>['checks']; atMs: number } | undefined;

  return [
    defineRoute({
      method: 'get',
      path: '/api/health',
      operationId: 'getHealth',
      summary: 'Report the health of the kernel and the services it uses',
      tags: ['system'],
      auth: 'public',
      responses: { 200: { description: 'All checks pass', schema: healthSchema }, 503: { description: 'A check failed', schema: healthSchema } },
      handler: async () => {
        const { db, sharedState, config, extensionHost } = services();
        if (!cached || Date.now() - cached.atMs > HEALTH_CACHE_MS) {
          const checks: z.infer<typeof healthSchema>['checks'] = {
            storage: await timed(db.kind, () => db.query('select 1')),
            sharedState: await timed(sharedState.kind, () => sharedState.ping()),
          };
          if (config.temporalAddress) checks.temporal = await timed('temporal', () => probeTcp(config.temporalAddress!, 2_000));
          cached = { checks, atMs: Date.now() };
        }
        const { checks } = cached;

        const healthy = Object.values(checks).every((check) => check.status === 'ok');
        return {
          status: healthy ? 200 : 503,
          body: {
            status: healthy ? 'ok' : 'degraded',
            version: KERNEL_VERSION,
            uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
            checks,
            extensions: { loading: extensionHost.isStarting, ...extensionHost.loadCounts() },
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/openapi.json',
      operationId: 'getOpenApi',
      summary: 'The OpenAPI 3.1 document of this API',
      tags: ['system'],
      auth: 'public',
      responses: { 200: { description: 'OpenAPI document' } },
      handler: () => ({ body: buildOpenApiDocument(services().routes) }),
    }),
  ];
}
