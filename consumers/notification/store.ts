/**
 * The notification service's data access: contact preferences, and the notifications, each recorded
 * pending as its own delivery outbox row (delivery.ts sends it).
 */
import { context, propagation } from '@opentelemetry/api';
import type pg from 'pg';
import type { Database } from '../../platform/db.js';
import type { CloudEvent } from '../../platform/events/envelope.js';
import { type Channel, type Locale, renderNotification } from './templates.js';

export interface Preference {
  customerId: string;
  channel: Channel;
  locale: Locale;
  recipient: string;
}

/** Customers who never set a preference hear by email, in Korean. */
export function defaultPreference(customerId: string): Preference {
  return { customerId, channel: 'email', locale: 'ko', recipient: `${customerId}@customers.ordersaga.dev` };
}

/** A notification as the customer's listing shows it. */
export interface SentNotification {
  notificationId: string;
  orderId: string;
  eventType: string;
  channel: Channel;
  locale: Locale;
  recipient: string;
  subject: string | null;
  body: string;
  createdAt: Date;
  delivery: { state: DeliveryState; attempts: number; lastError: string | null; nextAttemptAt: Date | null; sentAt: Date | null };
}

export type DeliveryState = 'pending' | 'sent' | 'failed';

const preferenceColumns = `customer_id AS "customerId", channel, locale, recipient`;

/**
 * Renders and records the event's notification (if customers hear of it), pending delivery, inside
 * the consumer's transaction; once that has committed, `recorded` is called (the delivery loop wakes).
 * `notification.sent` is counted by the delivery, when a provider accepted the message.
 */
export function recordNotifications(recorded: () => void) {
  return async (event: CloudEvent, tx: pg.PoolClient): Promise<void | (() => void)> => {
    const inserted = await recordNotification(event, tx);
    return inserted ? recorded : undefined;
  };
}

/** Records the event's notification, if customers hear of it; true when a new row was written. */
export async function recordNotification(event: CloudEvent, tx: pg.PoolClient): Promise<boolean> {
  const { customerId, orderId } = event.data;
  const { rows } = await tx.query<Preference>(`SELECT ${preferenceColumns} FROM customer_preferences WHERE customer_id = $1`, [customerId]);
  const preference = rows[0] ?? defaultPreference(customerId);
  const rendered = renderNotification(event.type, event.data, preference.locale, preference.channel);
  if (!rendered) return false;
  // The consumer's span (processing this event, in the order's trace) becomes the parent of each delivery attempt.
  const trace: { traceparent?: string } = {};
  propagation.inject(context.active(), trace);
  const inserted = await tx.query(
    `INSERT INTO notifications (notification_id, customer_id, order_id, event_type, channel, locale, recipient, subject, body, html_body, traceparent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (notification_id) DO NOTHING`,
    [
      event.id,
      customerId,
      orderId,
      event.type,
      preference.channel,
      preference.locale,
      preference.recipient,
      rendered.subject,
      rendered.body,
      rendered.html,
      trace.traceparent ?? null,
    ],
  );
  return inserted.rowCount !== 0;
}

export class NotificationStore {
  constructor(private readonly db: Database) {}

  async setPreference(preference: Preference): Promise<Preference> {
    const { rows } = await this.db.query<Preference>(
      `INSERT INTO customer_preferences (customer_id, channel, locale, recipient) VALUES ($1, $2, $3, $4)
       ON CONFLICT (customer_id) DO UPDATE SET channel = EXCLUDED.channel, locale = EXCLUDED.locale, recipient = EXCLUDED.recipient
       RETURNING ${preferenceColumns}`,
      [preference.customerId, preference.channel, preference.locale, preference.recipient],
    );
    return rows[0]!;
  }

  /** For the invariant checker: every customer-facing event processed has exactly one notification. */
  async stats(notifiedTypes: string[]): Promise<{ notifiableEventsProcessed: number; notifications: number; duplicates: number }> {
    const { rows } = await this.db.query<{ processed: number; notifications: number; duplicates: number }>(
      `SELECT (SELECT count(*)::int FROM processed_events WHERE event_type = ANY($1)) AS processed,
              (SELECT count(*)::int FROM notifications) AS notifications,
              (SELECT count(*)::int FROM (SELECT 1 FROM notifications GROUP BY order_id, event_type HAVING count(*) > 1) d) AS duplicates`,
      [notifiedTypes],
    );
    const row = rows[0]!;
    return { notifiableEventsProcessed: row.processed, notifications: row.notifications, duplicates: row.duplicates };
  }

  async listForCustomer(customerId: string, orderId: string | undefined, limit: number): Promise<SentNotification[]> {
    const { rows } = await this.db.query<SentNotification>(
      `SELECT notification_id AS "notificationId", order_id AS "orderId", event_type AS "eventType", channel, locale,
              recipient, subject, body, created_at AS "createdAt",
              json_build_object('state', delivery_state, 'attempts', attempts, 'lastError', last_error,
                                'nextAttemptAt', CASE WHEN delivery_state = 'pending' THEN next_attempt_at END,
                                'sentAt', sent_at) AS delivery
       FROM notifications WHERE customer_id = $1 AND ($2::uuid IS NULL OR order_id = $2::uuid)
       ORDER BY created_at DESC LIMIT $3`,
      [customerId, orderId ?? null, limit],
    );
    return rows;
  }
}
