import { hash, randomBytes, randomUUID } from 'node:crypto';

/** Prefix that makes leaked MIFY API keys easy to find with secret scanners. */
export const API_KEY_PREFIX = 'mify_';

/** Returns a new opaque id such as `usr_5f0c…`. */
export function newId(kind: string): string {
  return `${kind}_${randomUUID().replaceAll('-', '')}`;
}

/**
 * SHA-256 of a high-entropy token, hex. Tokens are random, so no salt is needed. The one-shot
 * `crypto.hash` (Node 20.12 and later) skips the Hash object that `createHash` allocates.
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Returns a session token (256 random bits, base64url). */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Returns a new API key, `mify_<8-char prefix>_<secret>`. The prefix is stored in
 * clear so a key can be recognised in lists; the whole key only as a hash.
 */
export function newApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(6).toString('base64url').slice(0, 8);
  const secret = randomBytes(32).toString('base64url');
  return { key: `${API_KEY_PREFIX}${prefix}_${secret}`, prefix };
}

export function looksLikeApiKey(value: string): boolean {
  return /^mify_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/.test(value);
}
