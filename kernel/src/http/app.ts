import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { KernelServices } from '../container.js';
import { MifyError } from '../errors.js';
import { importTooLargeMessage, MAX_IMPORT_BODY_BYTES } from '../graphs/imports.js';
import { authenticate, rateLimit, requestContext } from './middleware.js';
import { mountExtensionRoutes } from './extension-routes.js';
import { mountRoute } from './mount.js';
import { errorResponse, problemResponse, problemType } from './problem.js';
import type { AppEnv } from './request-context.js';

/**
 * Builds the Hono app serving /api: request ids, CORS, body limit,
 * authentication, rate limits, then the registered routes. Every error leaves
 * as problem+json.
 */
export function createApp(services: KernelServices): Hono<AppEnv> {
  const { config, logger } = services;
  const app = new Hono<AppEnv>();

  app.use('*', requestContext(logger, { trustProxy: config.trustProxy }));
  if (config.corsOrigins.length > 0) {
    app.use(
      '/api/*',
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        credentials: !config.corsOrigins.includes('*'),
        allowHeaders: ['content-type', 'authorization', 'idempotency-key', 'x-mify-workspace', 'x-request-id'],
        exposeHeaders: ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after'],
        maxAge: 600,
      }),
    );
  }
  const limitBody = bodyLimit({
      maxSize: config.bodyLimitBytes,
      onError: (c) =>
        problemResponse({
          type: problemType('body_too_large'),
          title: 'Content Too Large',
          status: 413,
          code: 'body_too_large',
          detail: `The request body is larger than the limit of ${config.bodyLimitBytes} bytes (MIFY_BODY_LIMIT_BYTES). Send less data, or raise the limit.`,
          instance: c.req.path,
        }),
  });
  // Import routes take whole workflow files, so they have their own, larger limit and respond with 422 past it.
  const limitImportBody = bodyLimit({
    maxSize: Math.max(config.bodyLimitBytes, MAX_IMPORT_BODY_BYTES),
    onError: (c) =>
      problemResponse({ type: problemType('import_file_too_large'), title: 'Unprocessable Content', status: 422, code: 'import_file_too_large', detail: importTooLargeMessage(null), instance: c.req.path }),
  });
  // Requests without a body skip the limit: checking it makes the Node adapter build a full Request object.
  app.use('/api/*', (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return c.req.path.startsWith('/api/graphs/import/') ? limitImportBody(c, next) : limitBody(c, next);
  });
  app.use('/api/*', authenticate({ apiKeys: services.apiKeyService, sessions: services.sessionService }));
  app.use('/api/*', rateLimit({ sharedState: services.sharedState, perIpPerMinute: config.rateLimitIpPerMinute, perKeyPerMinute: config.rateLimitKeyPerMinute }));

  for (const route of services.routes) mountRoute(app, route, services);
  mountExtensionRoutes(app, services);

  app.notFound((c) => {
    const allowed = services.routes.filter((route) => matchesPath(route.path, c.req.path)).map((route) => route.method.toUpperCase());
    if (allowed.length > 0) {
      return problemResponse(
        { type: problemType('method_not_allowed'), title: 'Method Not Allowed', status: 405, code: 'method_not_allowed', detail: `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(', ')}.`, instance: c.req.path },
        { allow: allowed.join(', ') },
      );
    }
    return problemResponse({ type: problemType('route_not_found'), title: 'Not Found', status: 404, code: 'route_not_found', detail: `No API route matches ${c.req.method} ${c.req.path}. The routes are listed in /api/openapi.json.`, instance: c.req.path });
  });

  app.onError((error, c) => {
    if (error instanceof MifyError) {
      const headers: Record<string, string> = { ...((error as { headers?: Record<string, string> }).headers ?? {}) };
      if ('retryAfterSeconds' in error) headers['retry-after'] = String((error as { retryAfterSeconds: number }).retryAfterSeconds);
      if (error.status >= 500) c.get('log')?.error({ err: error }, 'request failed');
      return errorResponse(error, c.req.path, headers);
    }
    c.get('log')?.error({ err: error }, 'unhandled error');
    return problemResponse({
      type: problemType('internal_error'),
      title: 'Internal Server Error',
      status: 500,
      code: 'internal_error',
      detail: `The server failed to handle the request. Quote request id ${c.get('requestId')} when reporting it.`,
      instance: c.req.path,
    });
  });

  return app;
}

function matchesPath(pattern: string, path: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`);
  return regex.test(path);
}
