import { NotFoundError } from '../errors.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { scopedClient } from '../storage/scoped.js';
import type { Principal } from './identity.js';
import type { Role } from './roles.js';
import { hashToken, looksLikeApiKey, newApiKey, newId } from './tokens.js';

/** How long a resolved key stays in this process's memory, in milliseconds. Revocation clears it at once on every process. */
const KEY_CACHE_TTL_MS = 30_000;
/** `last_used_at` is written at most once per key in this interval, in milliseconds. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
const REVOKED_CHANNEL = 'auth:api-key-revoked';

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface CachedKey {
  principal: Principal;
  expiresAtMs: number;
}

/**
 * API keys: shown once at creation, stored as SHA-256 hashes, scoped to one
 * workspace with a role, revocable. Lookups are cached per process because
 * every authenticated request resolves a key.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastUsedWrites = new Map<string, number>();
  /**
   * Count of revocations seen by this process. A lookup that a revocation overtook does not
   * cache its row, which may predate the revocation.
   */
  private revocations = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly deps: { db: Database; logger: Logger; sharedState: SharedState }) {}

  /** Subscribes to revocations from other kernel processes. */
  async start(): Promise<void> {
    this.unsubscribe = await this.deps.sharedState.pubsub.subscribe(REVOKED_CHANNEL, (keyHash) => this.forget(keyHash));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }

  async create(input: { workspaceId: string; name: string; role: Role; createdBy: string | null }): Promise<{ key: string; record: ApiKeyRecord }> {
    const { key, prefix } = newApiKey();
    const db = scopedClient(this.deps.db.prisma, input.workspaceId);
    const row = await db.apiKey.create({
      data: { id: newId('key'), name: input.name, prefix, keyHash: hashToken(key), role: input.role, createdBy: input.createdBy } as never,
    });
    this.deps.logger.info({ workspaceId: input.workspaceId, apiKeyId: row.id }, 'API key created');
    return { key, record: toRecord(row) };
  }

  async list(workspaceId: string): Promise<ApiKeyRecord[]> {
    const rows = await scopedClient(this.deps.db.prisma, workspaceId).apiKey.findMany({ orderBy: { createdAt: 'desc' } });
    return rows.map(toRecord);
  }

  async revoke(workspaceId: string, id: string): Promise<ApiKeyRecord> {
    const db = scopedClient(this.deps.db.prisma, workspaceId);
    const row = await db.apiKey.findUnique({ where: { id } });
    if (!row) throw new NotFoundError('API key', id);

    const updated = row.revokedAt ? row : await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    this.forget(row.keyHash);
    await this.deps.sharedState.pubsub.publish(REVOKED_CHANNEL, row.keyHash);
    this.deps.logger.info({ workspaceId, apiKeyId: id }, 'API key revoked');
    return toRecord(updated);
  }

  /**
   * Returns the principal for a presented key from this process's cache without waiting: null
   * for a string that is not an API key, undefined when the key is not cached and `resolve`
   * must ask the database.
   */
  cachedPrincipal(key: string): Principal | null | undefined {
    const now = Date.now();
    const cached = this.cache.get(hashToken(key));
    if (cached && cached.expiresAtMs > now) {
      this.touch(cached.principal.apiKeyId!, now);
      return cached.principal;
    }

    // Only a well-formed key is cached, so the format check can wait for a miss.
    return looksLikeApiKey(key) ? undefined : null;
  }

  /** Returns the principal for a presented key, or null when it is unknown or revoked. */
  async resolve(key: string): Promise<Principal | null> {
    const cached = this.cachedPrincipal(key);
    if (cached !== undefined) return cached;

    const keyHash = hashToken(key);
    const revocationsBefore = this.revocations;
    const row = await this.deps.db.prisma.apiKey.findUnique({ where: { keyHash } });
    if (!row || row.revokedAt) {
      this.cache.delete(keyHash);
      return null;
    }

    const now = Date.now();
    const principal: Principal = { type: 'api_key', userId: row.createdBy, apiKeyId: row.id, workspaceId: row.workspaceId, role: row.role as Role };
    if (this.revocations === revocationsBefore) this.cache.set(keyHash, { principal, expiresAtMs: now + KEY_CACHE_TTL_MS });
    this.touch(row.id, now);
    return principal;
  }

  private forget(keyHash: string): void {
    this.revocations++;
    this.cache.delete(keyHash);
  }

  private touch(apiKeyId: string, now: number): void {
    const last = this.lastUsedWrites.get(apiKeyId) ?? 0;
    if (now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWrites.set(apiKeyId, now);
    this.deps.db.prisma.apiKey.update({ where: { id: apiKeyId }, data: { lastUsedAt: new Date(now) } }).catch((error: unknown) => {
      this.deps.logger.warn({ apiKeyId, err: error }, 'could not record API key use');
    });
  }
}

function toRecord(row: { id: string; workspaceId: string; name: string; prefix: string; role: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }): ApiKeyRecord {
  return { id: row.id, workspaceId: row.workspaceId, name: row.name, prefix: row.prefix, role: row.role as Role, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt };
}
