/**
 * Requests through the kernel's `http.fetch` with retries. Statuses 429 and 5xx and network
 * failures are retried with exponential backoff, or after the server's `Retry-After`. The
 * sandbox has no timers, so each wait is the kernel's `delayMs` before the next attempt.
 */
import { isHostCallError, type ExtensionContext, type HttpRequest, type HttpResponse } from '@mify/sdk';
import { IoError } from '../errors.js';
import { redactUrl } from './url.js';

/** Maximum wait before one attempt, in milliseconds, equal to the kernel's maximum `delayMs`. */
export const MAX_RETRY_DELAY_MS = 60_000;

/** Retry settings of one node. */
export interface RetryPolicy {
  /** Retries after the first attempt, 0 to 10. */
  maxRetries: number;
  /** Wait before the first retry in milliseconds; doubles for every further retry. */
  initialDelayMs: number;
  /** Largest wait between attempts in milliseconds, also the largest `Retry-After` honoured. */
  maxDelayMs: number;
  /** Whether connection failures and timeouts are retried too. */
  retryNetworkErrors: boolean;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, initialDelayMs: 1_000, maxDelayMs: 30_000, retryNetworkErrors: true };

/** A finished request: the last response and how many attempts it took. */
export interface FetchOutcome {
  response: HttpResponse;
  attempts: number;
}

/** Description of a request for messages and logs. */
export interface RequestLabel {
  /** Subject of messages, such as `HTTP request` or `Cloudflare KV get`. */
  subject: string;
  /** Hint added to timeout messages. */
  timeoutHint?: string;
}

/** Returns whether a status is worth retrying: 429 (rate limited), 408 (request timeout) or any 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/**
 * Parses a `Retry-After` header (seconds, or an HTTP date) into milliseconds from now.
 *
 * @example
 * parseRetryAfterMs('2'); // 2000
 */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);

  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Returns the backoff before retry `retry` (1-based): the initial delay doubled per retry, with ±20 % jitter, at most `maxDelayMs`. */
export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  const base = policy.initialDelayMs * 2 ** (retry - 1);
  const jittered = base * (0.8 + Math.random() * 0.4);
  return Math.min(Math.round(jittered), policy.maxDelayMs, MAX_RETRY_DELAY_MS);
}

/**
 * Sends a request and retries it under `policy`. Resolves with the last response, which may
 * still be a 429 or 5xx once the retries are used up, so the caller decides what a status
 * means. Rejects with an `IoError` when no response arrives.
 */
export async function fetchWithRetries(ctx: ExtensionContext, url: string, request: HttpRequest, policy: RetryPolicy, label: RequestLabel): Promise<FetchOutcome> {
  let delayMs = 0;

  for (let attempt = 1; ; attempt++) {
    let response: HttpResponse;
    try {
      response = await ctx.host.http.fetch(url, delayMs > 0 ? { ...request, delayMs } : request);
    } catch (error) {
      const failure = describeFetchFailure(error, url, label);
      const retryable = policy.retryNetworkErrors && (failure.code === 'network_error' || failure.code === 'timeout');
      if (!retryable || attempt > policy.maxRetries) {
        if (attempt > 1) failure.message = `${failure.message} (after ${attempt} attempts)`;
        throw failure;
      }
      delayMs = backoffDelayMs(policy, attempt);
      ctx.log.warn('request failed; retrying', { subject: label.subject, url: redactUrl(url), attempt, code: failure.code, delayMs });
      continue;
    }

    if (!isRetryableStatus(response.status) || attempt > policy.maxRetries) return { response, attempts: attempt };

    const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
    if (retryAfterMs !== undefined && retryAfterMs > Math.min(policy.maxDelayMs, MAX_RETRY_DELAY_MS)) {
      // Waiting longer than the node allows would block the run, so report the server's wait instead.
      ctx.log.warn('Retry-After is longer than the maximum retry delay; not retrying', { subject: label.subject, url: redactUrl(url), status: response.status, retryAfterMs });
      return { response, attempts: attempt };
    }
    delayMs = retryAfterMs ?? backoffDelayMs(policy, attempt);
    ctx.log.warn('request returned a retryable status; retrying', { subject: label.subject, url: redactUrl(url), attempt, status: response.status, delayMs });
  }
}

/** Turns a rejected `http.fetch` into an `IoError` that names the request and the fix. */
function describeFetchFailure(error: unknown, url: string, label: RequestLabel): IoError {
  const target = redactUrl(url);
  const message = error instanceof Error ? error.message : String(error);
  if (isHostCallError(error, 'timeout')) {
    return new IoError('timeout', `${label.subject} to ${target} timed out: ${message}${label.timeoutHint ? ` ${label.timeoutHint}` : ''}`);
  }
  if (isHostCallError(error, 'response_too_large')) {
    return new IoError('response_too_large', `${label.subject} to ${target} failed: ${message} Raise the node's maxResponseBytes (the kernel's MIFY_HTTP_MAX_RESPONSE_BYTES is the upper bound) or request less data.`);
  }
  if (isHostCallError(error, 'address_blocked')) {
    return new IoError('address_blocked', `${label.subject} to ${target} was blocked: ${message}`);
  }
  if (isHostCallError(error, 'permission_denied')) {
    return new IoError('permission_denied', `${label.subject} to ${target} is not allowed: ${message}`);
  }
  if (isHostCallError(error, 'network_error') || isHostCallError(error, 'too_many_redirects')) {
    return new IoError('network_error', `${label.subject} to ${target} failed: ${message}`);
  }
  if (isHostCallError(error, 'invalid_argument')) {
    return new IoError('invalid_parameter', `${label.subject} to ${target} was rejected by the kernel: ${message}`);
  }
  return new IoError('network_error', `${label.subject} to ${target} failed: ${message}`);
}
