import { Redis } from 'ioredis';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { SharedStateUnavailableError } from './errors.js';

/** Maximum pause between two reconnection attempts after start-up, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 2_000;
/** Maximum number of reconnection attempts a pending command waits through before it fails, so callers do not wait long while Redis is down. */
const MAX_RETRIES_PER_REQUEST = 3;
/** Minimum time between two log lines about the same connection's errors, in milliseconds. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/** The parts of a Redis URL that are safe to show in logs and errors: no user name, no password. */
export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  tls: boolean;
}

/** Parses `redisUrl` into what may be shown of it. Throws a `ConfigError` that does not repeat the URL, which may contain a password. */
export function describeRedisUrl(redisUrl: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    throw invalidUrl('it is not a valid URL');
  }

  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw invalidUrl(`its scheme is '${url.protocol}'`);
  if (!url.hostname) throw invalidUrl('it has no host');

  const dbPath = url.pathname.replace(/^\//, '');
  const db = dbPath === '' ? 0 : Number(dbPath);
  if (!Number.isSafeInteger(db) || db < 0) throw invalidUrl(`its database number '${dbPath}' is not a whole number`);

  return { host: url.hostname, port: url.port ? Number(url.port) : 6379, db, tls: url.protocol === 'rediss:' };
}

function invalidUrl(reason: string): ConfigError {
  const message = `REDIS_URL is invalid because ${reason}: expected a URL such as redis://user:password@127.0.0.1:6379/0 (rediss:// for TLS).`;
  return new ConfigError(message, [{ variable: 'REDIS_URL', message }]);
}

/**
 * Opens one connection and waits until it is ready. At start-up a failed attempt is not
 * retried, so a wrong URL fails fast with a `SharedStateUnavailableError` that names the host.
 * After start-up, a lost connection is retried forever with growing pauses (up to 2 s),
 * and each connection logs its errors at most once per 10 s with the number of repeats.
 *
 * @example
 * const client = await connectRedis(process.env.REDIS_URL!, 'commands', logger);
 */
export async function connectRedis(redisUrl: string, role: 'commands' | 'subscriber', logger: Logger): Promise<Redis> {
  const address = describeRedisUrl(redisUrl);
  const log = logger.child({ connection: role });
  let started = false;
  let lastError: Error | undefined;

  const client = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy: (attempt) => (started ? Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS) : null),
  });

  const logError = throttledErrorLog(log);
  client.on('error', (error: Error) => {
    lastError = error;
    if (started) logError(error);
  });
  client.on('reconnecting', (delayMs: number) => {
    if (started) log.debug({ delayMs }, 'reconnecting to Redis');
  });
  client.on('ready', () => {
    if (started) log.info('reconnected to Redis');
  });

  try {
    await client.connect();
    if (role === 'commands') await client.ping();
  } catch (error) {
    client.disconnect();
    throw unavailable(address, lastError ?? error);
  }

  started = true;
  return client;
}

function unavailable(address: RedisAddress, cause: unknown): SharedStateUnavailableError {
  const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.+$/, '');
  const authFailed = /NOAUTH|WRONGPASS|AUTH/.test(reason);
  const fix = authFailed
    ? 'Check the user name and password in REDIS_URL.'
    : 'Check that Redis is running and reachable from this machine, or fix REDIS_URL.';

  const message =
    `Failed to connect to Redis at ${address.host}:${address.port} (from REDIS_URL): ${reason}. ${fix} ` +
    'To run a single kernel process without Redis, unset REDIS_URL.';
  return new SharedStateUnavailableError(message, { host: address.host, port: address.port }, { cause });
}

/** Returns a function that logs a connection error, then at most one line per interval with the number of repeats. */
function throttledErrorLog(log: Logger): (error: Error) => void {
  let lastLoggedAt = -Infinity;
  let repeats = 0;

  return (error) => {
    const at = performance.now();
    if (at - lastLoggedAt < ERROR_LOG_INTERVAL_MS) {
      repeats += 1;
      return;
    }

    log.error({ err: error, repeatsSinceLastLog: repeats }, 'Redis connection failed, reconnecting');
    lastLoggedAt = at;
    repeats = 0;
  };
}
