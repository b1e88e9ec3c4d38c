import { lookup } from 'node:dns/promises';
import { z } from 'zod';
import { newId } from '../auth/tokens.js';
import { ConflictError, MifyError, NotFoundError } from '../errors.js';
import { checkAddress } from '../extensions/host-api/address-guard.js';
import type { Logger } from '../logger.js';
import { toJsonb } from '../runtime/run-store.js';
import type { Database } from '../storage/database.js';
import type { KernelEvent } from '../triggers/kernel-events.js';
import { open, seal } from '../vault/cipher.js';
import { DELIVERY_HEADER, EVENT_HEADER, newSigningSecret, SIGNATURE_HEADER, signNotification, TIMESTAMP_HEADER } from './notification-signature.js';

export const NOTIFICATION_EVENTS = ['schedule.fired', 'schedule.failed', 'schedule.waiting'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Maximum notification URLs of one schedule. */
export const MAX_NOTIFICATIONS_PER_SCHEDULE = 10;
/** Attempts per delivery before it is marked failed. */
export const MAX_DELIVERY_ATTEMPTS = 6;
/** Time one POST may take, in milliseconds. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** How long a claimed delivery stays hidden from other processes, in milliseconds; a crash delays its retry by this much. */
const CLAIM_LEASE_MS = 60_000;

export const notificationInputSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http or https URL such as https://example.com/hooks/mify' })
    .max(2_000)
    .refine((value) => !new URL(value).username && !new URL(value).password, 'the URL must not contain a user name or password; authenticate with the signature instead')
    .describe('Receives a POST with a JSON body for each selected event'),
  events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).default([...NOTIFICATION_EVENTS]).describe('Events to send; default all three'),
});
export type NotificationInput = z.output<typeof notificationInputSchema>;

/** A notification URL as the API lists it; the secret is returned once, at creation. */
export interface NotificationRecord {
  id: string;
  scheduleId: string;
  url: string;
  events: NotificationEvent[];
  createdAt: Date;
}

export interface ScheduleNotificationDeps {
  db: Database;
  logger: Logger;
  /** Key that seals the signing secrets at rest (MIFY_SECRET_KEY). */
  secretKey: Buffer;
  /** Whether URLs may resolve to loopback and private addresses (MIFY_ALLOW_PRIVATE_NETWORK). */
  allowPrivateNetwork: boolean;
  /** Delay before the first retry, in milliseconds; each further retry waits twice as long. Default 2000. */
  retryBaseMs?: number;
}

interface DeliveryRow {
  id: string;
  notification_id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret_ciphertext: Buffer | Uint8Array;
  secret_iv: Buffer | Uint8Array;
  secret_tag: Buffer | Uint8Array;
}

/**
 * Notification URLs of schedules and their deliveries: a JSON POST per event, signed with
 * HMAC-SHA256 (see notification-signature.ts), retried with exponential backoff.
 */
export class ScheduleNotificationService {
  private readonly log: Logger;

  constructor(private readonly deps: ScheduleNotificationDeps) {
    this.log = deps.logger.child({ component: 'schedule-notifications' });
  }

  /** Adds a URL to a schedule of the workspace and returns it with its signing secret, which is not shown again. */
  async create(workspaceId: string, scheduleId: string, input: NotificationInput): Promise<NotificationRecord & { secret: string }> {
    const [count] = await this.deps.db.query<{ count: string | number }>(`select count(*) as count from schedule_notifications where schedule_id = $1 and workspace_id = $2`, [scheduleId, workspaceId]);
    if (Number(count?.count ?? 0) >= MAX_NOTIFICATIONS_PER_SCHEDULE) {
      throw new ConflictError(`Schedule '${scheduleId}' already has ${MAX_NOTIFICATIONS_PER_SCHEDULE} notification URLs, the maximum; delete one first.`, { scheduleId });
    }

    const id = newId('notif');
    const secret = newSigningSecret();
    const sealed = seal(this.deps.secretKey, secret, id);
    const events = [...new Set(input.events)];
    const [row] = await this.deps.db.query<{ created_at: string }>(
      `insert into schedule_notifications (id, schedule_id, workspace_id, url, events, secret_ciphertext, secret_iv, secret_tag)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning created_at`,
      [id, scheduleId, workspaceId, input.url, events, sealed.ciphertext, sealed.iv, sealed.authTag],
    );
    this.log.info({ workspaceId, scheduleId, notificationId: id, events }, 'schedule notification created');
    return { id, scheduleId, url: input.url, events, createdAt: new Date(row!.created_at), secret };
  }

  async list(workspaceId: string, scheduleId: string): Promise<NotificationRecord[]> {
    const rows = await this.deps.db.query<{ id: string; url: string; events: NotificationEvent[]; created_at: string }>(
      `select id, url, events, created_at from schedule_notifications where schedule_id = $1 and workspace_id = $2 order by created_at, id`,
      [scheduleId, workspaceId],
    );
    return rows.map((row) => ({ id: row.id, scheduleId, url: row.url, events: row.events, createdAt: new Date(row.created_at) }));
  }

  /** @throws NotFoundError when the schedule has no such notification. */
  async delete(workspaceId: string, scheduleId: string, notificationId: string): Promise<void> {
    const rows = await this.deps.db.query(`delete from schedule_notifications where id = $1 and schedule_id = $2 and workspace_id = $3 returning id`, [notificationId, scheduleId, workspaceId]);
    if (rows.length === 0) throw new NotFoundError('Notification', notificationId);
  }

  /** Queues a delivery to every URL of the event's schedule that asked for the event. */
  async enqueue(event: KernelEvent): Promise<void> {
    const target = await this.notificationOf(event);
    if (!target) return;

    const payload = { id: event.id, event: target.type, scheduleId: target.scheduleId, workspaceId: event.workspaceId, occurredAt: event.createdAt.toISOString(), data: event.data };
    await this.deps.db.query(
      `insert into notification_deliveries (id, notification_id, event_id, event_type, payload)
       select 'dlv_' || md5(n.id || $2), n.id, $2, $3, $4::jsonb from schedule_notifications n
       where n.schedule_id = $1 and $3 = any(n.events)
       on conflict (notification_id, event_id) do nothing`,
      [target.scheduleId, event.id, target.type, toJsonb(payload)],
    );
  }

  /** Maps a kernel event to the schedule and notification event it concerns, or null. */
  private async notificationOf(event: KernelEvent): Promise<{ scheduleId: string; type: NotificationEvent } | null> {
    if (event.type === 'schedule.fired' || event.type === 'schedule.failed') return { scheduleId: String(event.data.scheduleId), type: event.type };
    if (event.type === 'run.finished' && event.data.status !== 'failed') return null;

    const [row] = await this.deps.db.query<{ schedule_id: string }>(`select schedule_id from schedule_runs where run_id = $1`, [event.data.runId]);
    if (!row) return null;
    return { scheduleId: row.schedule_id, type: event.type === 'run.waiting' ? 'schedule.waiting' : 'schedule.failed' };
  }

  /** Sends up to `limit` due deliveries; returns how many were attempted. */
  async deliverDue(limit: number): Promise<number> {
    // The claim moves each row's next attempt past a lease, so other processes skip it while this one posts.
    const rows = await this.deps.db.query<DeliveryRow>(
      `with claimed as (
         update notification_deliveries set next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
         where id in (select id from notification_deliveries where status = 'pending' and next_attempt_at <= now() order by next_attempt_at limit $1 for update skip locked)
         returning *)
       select c.id, c.notification_id, c.event_id, c.event_type, c.payload, c.attempts, n.url, n.secret_ciphertext, n.secret_iv, n.secret_tag
       from claimed c join schedule_notifications n on n.id = c.notification_id`,
      [limit, CLAIM_LEASE_MS],
    );
    await Promise.all(rows.map((row) => this.deliver(row)));
    return rows.length;
  }

  private async deliver(row: DeliveryRow): Promise<void> {
    const attempt = Number(row.attempts) + 1;
    const ids = { notificationId: row.notification_id, deliveryId: row.id, eventId: row.event_id, attempt };
    let failure: string | null = null;
    try {
      const secret = open(this.deps.secretKey, { ciphertext: Buffer.from(row.secret_ciphertext), iv: Buffer.from(row.secret_iv), authTag: Buffer.from(row.secret_tag) }, row.notification_id);
      await this.checkDestination(row.url);
      const body = JSON.stringify(row.payload);
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await fetch(row.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'mify-notifications/1',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signNotification(secret, timestamp, body),
          [EVENT_HEADER]: row.event_type,
          [DELIVERY_HEADER]: row.id,
        },
        body,
      });
      await response.body?.cancel().catch(() => {});
      if (response.status < 200 || response.status >= 300) failure = `the receiver answered HTTP ${response.status}`;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }

    if (failure === null) {
      await this.deps.db.query(`update notification_deliveries set status = 'delivered', attempts = $2, delivered_at = now(), last_error = null where id = $1`, [row.id, attempt]);
      this.log.info(ids, 'schedule notification delivered');
      return;
    }
    if (attempt >= MAX_DELIVERY_ATTEMPTS) {
      await this.deps.db.query(`update notification_deliveries set status = 'failed', attempts = $2, last_error = $3 where id = $1`, [row.id, attempt, failure]);
      this.log.warn({ ...ids, error: failure }, `schedule notification failed ${MAX_DELIVERY_ATTEMPTS} times; giving up`);
      return;
    }
    const delayMs = (this.deps.retryBaseMs ?? 2_000) * 2 ** (attempt - 1);
    await this.deps.db.query(`update notification_deliveries set attempts = $2, last_error = $3, next_attempt_at = now() + make_interval(secs => $4::double precision / 1000) where id = $1`, [row.id, attempt, failure, delayMs]);
    this.log.info({ ...ids, error: failure, retryInMs: delayMs }, 'schedule notification failed; retrying');
  }

  /**
   * Rejects a URL whose host resolves to an address the operator does not allow, such as a
   * cloud metadata service, or a loopback address without MIFY_ALLOW_PRIVATE_NETWORK.
   *
   * NOTE: fetch resolves the host again, so a DNS answer that changes between the check and
   * the connection is not caught.
   */
  private async checkDestination(url: string): Promise<void> {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const addresses = await lookup(host, { all: true });
    for (const { address } of addresses) {
      const verdict = checkAddress(address, { allowPrivateNetwork: this.deps.allowPrivateNetwork });
      if (!verdict.allowed) throw new MifyError('notification_destination_blocked', 400, `${host} resolves to ${address}, ${verdict.description}, which notifications may not reach; set MIFY_ALLOW_PRIVATE_NETWORK=true to allow private addresses.`);
    }
  }
}
