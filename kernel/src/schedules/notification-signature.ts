import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header with the Unix time of signing, in seconds. */
export const TIMESTAMP_HEADER = 'mify-timestamp';
/** Header with `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export const SIGNATURE_HEADER = 'mify-signature';
export const EVENT_HEADER = 'mify-event';
/** Id of the delivery, the same on every retry, so receivers can drop repeats. */
export const DELIVERY_HEADER = 'mify-delivery';

/** Returns a new signing secret: `whsec_` and 32 random bytes in base64url. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * Signs a notification body: HMAC-SHA256 keyed with the secret's full text over
 * `<timestamp>.<body>`, in hex, prefixed with `v1=`.
 *
 * @example
 * signNotification('whsec_…', 1767225600, '{"event":"schedule.fired"}'); // 'v1=5f2c…'
 */
export function signNotification(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * Checks a received notification as a receiver should: the signature matches, compared in
 * constant time, and the timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyNotification(secret: string, headers: { timestamp: string | null; signature: string | null }, body: string, options: { nowSeconds: number; toleranceSeconds: number }): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || !headers.signature) return false;
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds) return false;
  const expected = Buffer.from(signNotification(secret, timestamp, body));
  const received = Buffer.from(headers.signature);
  return expected.length === received.length && timingSafeEqual(expected, received);
}
