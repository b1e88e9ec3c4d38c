import { z } from 'zod';
import { storableText } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum length of a rate-limit bucket name, in characters. */
export const MAX_LIMIT_BUCKET_CHARS = 300;

/** Maximum window of `limits.hit`, in seconds (one day). */
export const MAX_LIMIT_WINDOW_SECONDS = 24 * 60 * 60;

/** Largest `limit` of `limits.hit`, in hits per window. */
export const MAX_LIMIT_HITS = 1_000_000;

/** Outcome of one `limits.hit`, as the sandbox receives it. */
export interface LimitHitResult {
  allowed: boolean;
  limit: number;
  /** Hits still allowed in the window after this one; 0 when rejected. */
  remaining: number;
  /** Whole seconds until a hit would be allowed again; 0 when this hit was allowed. */
  retryAfterSeconds: number;
}

async function hitLimit(scope: HostCallScope, bucket: string, limit: number, windowSeconds: number): Promise<LimitHitResult> {
  // Buckets are namespaced like kv keys, so one extension cannot drain another's limits.
  const key = `rl:ext:${scope.context.extensionId}:${scope.workspaceKey}:${bucket}`;
  const result = await scope.services.sharedState.rateLimiter.hit(key, limit, windowSeconds * 1_000);
  if (!result.allowed) scope.logger.info({ bucket, limit, windowSeconds }, 'extension rate limit reached');
  return { allowed: result.allowed, limit: result.limit, remaining: result.remaining, retryAfterSeconds: Math.ceil(result.retryAfterMs / 1_000) };
}

/**
 * Rate limits through the kernel's sliding-window limiter (Redis with `REDIS_URL`,
 * otherwise in process), such as per-IP limits of a public route with the caller's
 * `clientIp`. Rejected hits are not recorded.
 */
export const limitMethods: HostMethod[] = [
  defineHostMethod({
    name: 'limits.hit',
    permission: 'kv:write',
    parameters: {
      bucket: storableText(MAX_LIMIT_BUCKET_CHARS).min(1),
      limit: z.number().int().min(1).max(MAX_LIMIT_HITS),
      windowSeconds: z.number().int().min(1).max(MAX_LIMIT_WINDOW_SECONDS),
    },
    run: ({ bucket, limit, windowSeconds }, scope) => hitLimit(scope, bucket, limit, windowSeconds),
  }),
];
