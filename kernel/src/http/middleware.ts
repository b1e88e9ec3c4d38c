import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ApiKeyService } from '../auth/api-keys.js';
import type { SessionService } from '../auth/sessions.js';
import { RateLimitedError, UnauthorizedError } from '../errors.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { AppEnv } from './request-context.js';

export const SESSION_COOKIE = 'mify_session';

/** Assigns a request id (kept from X-Request-Id when well-formed), a child logger and an access log line. */
export function requestContext(logger: Logger, options: { trustProxy: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[A-Za-z0-9._-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('clientIp', clientAddress(c, options.trustProxy));
    c.set('apiKeyPrincipal', null);
    c.set('sessionUser', null);
    c.set('sessionToken', null);

    const started = performance.now();
    await next();
    c.res.headers.set('x-request-id', requestId);
    if (log.isLevelEnabled('debug') || c.res.status >= 500) {
      log[c.res.status >= 500 ? 'error' : 'debug']({ method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Math.round((performance.now() - started) * 100) / 100 }, 'request');
    }
  };
}

function clientAddress(c: Parameters<MiddlewareHandler<AppEnv>>[0], trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * Reads credentials: `Authorization: Bearer <API key>` or the session cookie.
 * A presented key that is unknown or revoked is rejected here with 401, so a
 * wrong key never silently falls back to anonymous access.
 */
export function authenticate(deps: { apiKeys: ApiKeyService; sessions: SessionService }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const authorization = c.req.header('authorization');
    if (authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) throw new UnauthorizedError('The Authorization header must have the form "Bearer <API key>".');
      const principal = await deps.apiKeys.resolve(match[1]!);
      if (!principal) throw new UnauthorizedError('The API key is invalid or revoked. Create a new key with `mify api-key create` or on the API keys page.');
      c.set('apiKeyPrincipal', principal);
    } else {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) {
        const user = await deps.sessions.resolve(token);
        if (user) {
          c.set('sessionUser', user);
          c.set('sessionToken', token);
        }
      }
    }
    await next();
  };
}

/**
 * Sliding-window rate limits: per API key for requests that carry one,
 * otherwise per client address. Limits are per minute.
 */
export function rateLimit(deps: { sharedState: SharedState; perIpPerMinute: number; perKeyPerMinute: number }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('apiKeyPrincipal');
    const [bucket, limit] = principal ? [`rl:key:${principal.apiKeyId}`, deps.perKeyPerMinute] : [`rl:ip:${c.get('clientIp')}`, deps.perIpPerMinute];
    const result = await deps.sharedState.rateLimiter.hit(bucket, limit, 60_000);

    const headers = { 'ratelimit-limit': String(result.limit), 'ratelimit-remaining': String(Math.max(0, result.remaining)), 'ratelimit-reset': String(Math.ceil(result.resetMs / 1000)) };
    if (!result.allowed) {
      const retryAfterSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      const who = principal ? 'this API key' : 'your address';
      throw Object.assign(new RateLimitedError(`Rate limit of ${limit} requests per minute for ${who} exceeded; retry after ${retryAfterSeconds} s.`, retryAfterSeconds), { headers });
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
