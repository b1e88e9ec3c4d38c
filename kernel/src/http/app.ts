import { Hono, type Context } from 'hono';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import { bodyLimit } from 'hono/body-limit';
import type { KernelServices } from '../container.js';
import { MifyError } from '../errors.js';
import { importTooLargeMessage, MAX_IMPORT_BODY_BYTES } from '../graphs/imports.js';
import { createCorsPolicy } from './cors.js';
import { createRequestPipeline } from './middleware.js';
import { mountExtensionRoutes, serveMountedExtensionRoute, waitForExtensions } from './extension-routes.js';
import { MemoRouter } from './memo-router.js';
import { mountRoute } from './mount.js';
import { PROBLEM_CONTENT_TYPE, problemFromError, problemType, type Problem } from './problem.js';
import { finishResponse, requestLog, type AppEnv } from './request-context.js';
import type { RouteSpec } from './route.js';

/**
 * Builds the Hono app serving /api: request ids, CORS, body limit,
 * authentication, rate limits, then the registered routes. Every error leaves
 * as problem+json.
 */
export function createApp(services: KernelServices): Hono<AppEnv> {
  const { config, logger } = services;
  // The routers of Hono's default, behind a memo of parameterless matches.
  const app = new Hono<AppEnv>({ router: new MemoRouter(new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })) });

  const limitBody = bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: (c) =>
      respondWithProblem(c, {
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
      respondWithProblem(c, { type: problemType('import_file_too_large'), title: 'Unprocessable Content', status: 422, code: 'import_file_too_large', detail: importTooLargeMessage(null), instance: c.req.path }),
  });
  const handleError = (error: Error, c: Context<AppEnv>): Response => {
    // The request state is missing only for an error that Hono raised before the pipeline ran.
    const log = c.get('request') ? requestLog(c) : logger;
    if (error instanceof MifyError) {
      const headers: Record<string, string> = { ...((error as { headers?: Record<string, string> }).headers ?? {}) };
      if ('retryAfterSeconds' in error) headers['retry-after'] = String((error as { retryAfterSeconds: number }).retryAfterSeconds);
      if (error.status >= 500) log.error({ err: error }, 'request failed');
      return respondWithProblem(c, problemFromError(error, c.req.path), headers);
    }
    log.error({ err: error }, 'unhandled error');
    return respondWithProblem(c, {
      type: problemType('internal_error'),
      title: 'Internal Server Error',
      status: 500,
      code: 'internal_error',
      detail: `The server failed to handle the request. Quote request id ${c.get('request')?.requestId ?? '(none)'} when reporting it.`,
      instance: c.req.path,
    });
  };

  const pipeline = createRequestPipeline({
    logger,
    trustProxy: config.trustProxy,
    apiKeys: services.apiKeyService,
    sessions: services.sessionService,
    sharedState: services.sharedState,
    perIpPerMinute: config.rateLimitIpPerMinute,
    perKeyPerMinute: config.rateLimitKeyPerMinute,
    cors: createCorsPolicy(config.corsOrigins),
    limitBody: (c, next) => (c.req.path.startsWith('/api/graphs/import/') ? limitImportBody(c, next) : limitBody(c, next)),
    handleError,
    // `mify start` responds to /api/health before it loads the extensions. Every other API request
    // waits for them, because node types, routes and contributions come from extensions.
    untilReady: (path) => (services.extensionHost.isStarting && path !== '/api/health' ? waitForExtensions(services.extensionHost, path) : null),
  });

  for (const route of services.routes) mountRoute(app, route, services, pipeline);
  mountExtensionRoutes(app, services, pipeline);

  const routeNotFound = (c: Context<AppEnv>): Response => {
    const allowed = services.routes.filter((route) => routePattern(route).test(c.req.path)).map((route) => route.method.toUpperCase());
    if (allowed.length > 0) {
      return respondWithProblem(
        c,
        { type: problemType('method_not_allowed'), title: 'Method Not Allowed', status: 405, code: 'method_not_allowed', detail: `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(', ')}.`, instance: c.req.path },
        { allow: allowed.join(', ') },
      );
    }
    return respondWithProblem(c, { type: problemType('route_not_found'), title: 'Not Found', status: 404, code: 'route_not_found', detail: `No API route matches ${c.req.method} ${c.req.path}. The routes are listed in /api/openapi.json.`, instance: c.req.path });
  };

  // Paths no route matches: routes that extensions mount under a base path of their own, else 405 or 404.
  app.notFound((c) => pipeline(c, async (c) => (await serveMountedExtensionRoute(c, services)) ?? routeNotFound(c)));

  app.onError(handleError);

  return app;
}

/** Builds a problem+json response that also carries the request's shared headers (request id, rate limit, CORS). */
function respondWithProblem(c: Context<AppEnv>, problem: Problem, headers?: Record<string, string>): Response {
  return finishResponse(c, JSON.stringify(problem), { status: problem.status, contentType: PROBLEM_CONTENT_TYPE, headers });
}

const routePatterns = new WeakMap<RouteSpec, RegExp>();

/** Returns a regular expression that matches the paths of a route, compiled on first use. */
function routePattern(route: RouteSpec): RegExp {
  let pattern = routePatterns.get(route);
  if (!pattern) {
    pattern = new RegExp(`^${route.path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`);
    routePatterns.set(route, pattern);
  }
  return pattern;
}
