/**
 * Planting violations for the auditor's tests: rows written straight into each service's own
 * database as that service's role (the URLs in platform/config.ts), with random ids so they touch
 * nobody else's rows, and removed again by `cleanUp()`. Times are an hour in the past unless a test
 * asks otherwise, so a planted fact is settled history, not a saga still running.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { CardVaultClient } from '../../platform/card-vault.js';
import { config } from '../../platform/config.js';
import type { OrderStatus } from '../../platform/contracts/order.js';

export const HOUR_AGO = () => new Date(Date.now() - 3_600_000).toISOString();

type Service = 'order' | 'inventory' | 'fulfillment' | 'analytics' | 'notification';

export class Planter {
  private readonly pools: Record<Service, pg.Pool>;
  private readonly undo: (() => Promise<unknown>)[] = [];

  constructor() {
    const env = config();
    const pool = (url: string) => new pg.Pool({ connectionString: url, max: 2 });
    this.pools = {
      order: pool(env.ORDER_DATABASE_URL),
      inventory: pool(env.INVENTORY_DATABASE_URL),
      fulfillment: pool(env.FULFILLMENT_DATABASE_URL),
      analytics: pool(env.ANALYTICS_DATABASE_URL),
      notification: pool(env.NOTIFICATION_DATABASE_URL),
    };
  }

  private async run(service: Service, sql: string, params: unknown[], undoSql: string, undoParams: unknown[]): Promise<void> {
    this.undo.push(() => this.pools[service].query(undoSql, undoParams));
    await this.pools[service].query(sql, params);
  }

  /** An order as the order service would hold it, with one history line per status (oldest first). */
  async order(options: {
    status: OrderStatus;
    history?: OrderStatus[];
    items?: { sku: string; quantity: number }[];
    amountMinor?: number | null;
    paymentId?: string | null;
    acceptedAt?: string;
  }): Promise<string> {
    const orderId = randomUUID();
    const acceptedAt = options.acceptedAt ?? HOUR_AGO();
    const history = options.history ?? ['PENDING', options.status];
    this.undo.push(() => this.pools.order.query('DELETE FROM orders WHERE order_id = $1', [orderId]));
    this.undo.push(() => this.pools.order.query('DELETE FROM order_status_history WHERE order_id = $1', [orderId]));
    await this.pools.order.query(
      `INSERT INTO orders (order_id, customer_id, status, payment_channel, card_last4, items, shipping_address, amount_minor, currency,
                           payment_id, accepted_at, updated_at)
       VALUES ($1, 'auditor-test', $2, 'http', '4242', $3, '{"name":"A","line1":"B","city":"C","postalCode":"06236","country":"KR"}',
               $4, 'KRW', $5, $6, $6)`,
      [
        orderId,
        options.status,
        JSON.stringify(options.items ?? [{ sku: 'T-AUDIT', quantity: 1 }]),
        options.amountMinor ?? 10_000,
        options.paymentId ?? null,
        acceptedAt,
      ],
    );
    for (const [index, status] of history.entries()) {
      await this.pools.order.query(
        "INSERT INTO order_status_history (order_id, status, at) VALUES ($1, $2, $3::timestamptz + $4 * interval '1 ms')",
        [orderId, status, acceptedAt, index],
      );
    }
    return orderId;
  }

  /** Records on a planted order the payment id its saga would have recorded. */
  async recordPaymentId(orderId: string, paymentId: string): Promise<void> {
    await this.pools.order.query('UPDATE orders SET payment_id = $2 WHERE order_id = $1', [orderId, paymentId]);
  }

  /** A product with the given counters (stocked = their sum, as the database requires). */
  async product(counters: { available?: number; reserved?: number; shipped?: number }): Promise<string> {
    const sku = `T-AUD-${randomBytes(4).toString('hex').toUpperCase()}`;
    const { available = 0, reserved = 0, shipped = 0 } = counters;
    await this.run(
      'inventory',
      `INSERT INTO products (sku, name, unit_price_minor, available, reserved, shipped, stocked) VALUES ($1, 'auditor test', 1000, $2, $3, $4, $5)`,
      [sku, available, reserved, shipped, available + reserved + shipped],
      'DELETE FROM products WHERE sku = $1',
      [sku],
    );
    return sku;
  }

  async reservation(
    orderId: string,
    status: 'RESERVED' | 'RELEASED' | 'SHIPPED',
    lines: { sku: string; quantity: number }[],
  ): Promise<void> {
    const withPrices = lines.map((line) => ({ ...line, unitPriceMinor: 1000 }));
    await this.run(
      'inventory',
      `INSERT INTO reservations (order_id, status, lines, total_minor, currency, created_at, updated_at) VALUES ($1, $2, $3, $4, 'KRW', $5, $5)`,
      [orderId, status, JSON.stringify(withPrices), withPrices.reduce((sum, line) => sum + line.quantity * 1000, 0), HOUR_AGO()],
      'DELETE FROM reservations WHERE order_id = $1',
      [orderId],
    );
  }

  async shipment(orderId: string, status: 'SCHEDULED' | 'SHIPPED' | 'CANCELLED'): Promise<string> {
    const shipmentId = `shp_audit_${randomBytes(6).toString('hex')}`;
    await this.run(
      'fulfillment',
      `INSERT INTO shipments (shipment_id, order_id, customer_id, status, carrier, address, lines, estimated_delivery, created_at, updated_at)
       VALUES ($1, $2, 'auditor-test', $3, 'CJ', '{}', '[]', current_date, $4, $4)`,
      [shipmentId, orderId, status, HOUR_AGO()],
      'DELETE FROM shipments WHERE shipment_id = $1',
      [shipmentId],
    );
    return shipmentId;
  }

  /** Analytics' projection of an order: the events it applied (its inbox) and, optionally, its fact. */
  async analytics(orderId: string, events: string[], factStatus?: OrderStatus): Promise<void> {
    for (const type of events) {
      await this.run(
        'analytics',
        `INSERT INTO processed_events (event_id, event_type, subject, processed_at) VALUES ($1, $2, $3, $4)`,
        [randomUUID(), type, orderId, HOUR_AGO()],
        'DELETE FROM processed_events WHERE subject = $1',
        [orderId],
      );
    }
    if (factStatus) {
      await this.run(
        'analytics',
        `INSERT INTO order_facts (order_id, customer_id, status, status_rank) VALUES ($1, 'auditor-test', $2, 9)`,
        [orderId, factStatus],
        'DELETE FROM order_facts WHERE order_id = $1',
        [orderId],
      );
    }
  }

  /** A counter row of analytics' event_counts, under a type name of the test's own. */
  async eventCount(type: string, count: number): Promise<void> {
    await this.run(
      'analytics',
      'INSERT INTO event_counts (event_type, count) VALUES ($1, $2)',
      [type, count],
      'DELETE FROM event_counts WHERE event_type = $1',
      [type],
    );
  }

  /** The notification service's inbox rows (events processed) and notifications sent, by type. */
  async notifications(orderId: string, options: { processed?: string[]; notified?: string[] }): Promise<void> {
    for (const type of options.processed ?? []) {
      await this.run(
        'notification',
        `INSERT INTO processed_events (event_id, event_type, subject) VALUES ($1, $2, $3)`,
        [randomUUID(), type, orderId],
        'DELETE FROM processed_events WHERE subject = $1',
        [orderId],
      );
    }
    for (const type of options.notified ?? []) {
      await this.run(
        'notification',
        `INSERT INTO notifications (notification_id, customer_id, order_id, event_type, channel, locale, recipient, subject, body)
         VALUES ($1, 'auditor-test', $2, $3, 'email', 'en', 'auditor-test@example.com', 'test', 'test')`,
        [randomUUID(), orderId, type],
        'DELETE FROM notifications WHERE order_id = $1',
        [orderId],
      );
    }
  }

  /** A live approval in payment-sim's ledger, through its own API (it is the owner); voided at clean-up. */
  async approval(orderId: string, amountMinor: number): Promise<string> {
    const url = config().PAYMENT_HTTP_URL;
    // The line takes the vault's token, never the number (docs/decisions.md).
    const { cardToken } = await new CardVaultClient(config().PAYMENT_VAULT_URL).tokenize('4242424242424242');
    const response = await fetch(`${url}/payments/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ orderId, amountMinor, currency: 'KRW', cardToken }),
    });
    const body = (await response.json()) as { paymentId?: string; status?: string };
    if (!response.ok || !body.paymentId) throw new Error(`authorize for ${orderId}: ${response.status} ${JSON.stringify(body)}`);
    this.undo.push(() =>
      fetch(`${url}/payments/${body.paymentId}/void`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    );
    return body.paymentId;
  }

  /** Removes everything planted, newest first, and closes the pools. */
  async cleanUp(): Promise<void> {
    for (const undo of this.undo.reverse()) await undo().catch(() => undefined);
    await Promise.all(Object.values(this.pools).map((pool) => pool.end()));
  }
}
