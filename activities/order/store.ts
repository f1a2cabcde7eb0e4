/** The order service's data access: orders and their status history, in its own database. */
import type { OrderWorkflowInput } from '../../platform/contracts/workflow.js';
import type { Database, Queryable } from '../../platform/db.js';
import { withTransaction } from '../../platform/db.js';
import {
  isLegacyPayment,
  type OrderLine,
  type OrderRequest,
  type OrderStatus,
  type PaymentChannel,
  type SagaOrder,
  terminalStatuses,
} from '../../platform/contracts/order.js';

export interface OrderRecord {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  paymentChannel: PaymentChannel;
  cardLast4: string;
  items: OrderLine[];
  shippingAddress: OrderRequest['shippingAddress'];
  amountMinor: number | null;
  currency: string | null;
  paymentId: string | null;
  reason: string | null;
  acceptedAt: string;
  history: { status: OrderStatus; at: string; reason?: string }[];
}

export interface StatusChange {
  status: OrderStatus;
  reason?: string;
  amountMinor?: number;
  currency?: string;
  paymentId?: string;
}

/**
 * The CTE both accept paths start with: the order row as PENDING, `inserted` naming it only when it
 * is new. Its parameters $1..$7 come from `pendingOrderParams`.
 */
const insertPendingOrder = `inserted AS (
         INSERT INTO orders (order_id, customer_id, status, payment_channel, card_last4, items, shipping_address, accepted_at)
         VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING RETURNING order_id)`;

function pendingOrderParams(orderId: string, order: SagaOrder, acceptedAt: string): unknown[] {
  return [
    orderId,
    order.customerId,
    order.payment.channel,
    cardLast4(order),
    JSON.stringify(order.items),
    JSON.stringify(order.shippingAddress),
    acceptedAt,
  ];
}

export class OrderStore {
  constructor(private readonly db: Database) {}

  /** Records a newly accepted order as PENDING; recording it again changes nothing. */
  async insertPending(orderId: string, order: SagaOrder, acceptedAt: string, on: Queryable = this.db): Promise<void> {
    await on.query(
      `WITH ${insertPendingOrder}
       INSERT INTO order_status_history (order_id, status, at)
       SELECT order_id, 'PENDING', $7 FROM inserted`,
      pendingOrderParams(orderId, order, acceptedAt),
    );
  }

  /**
   * The accept path (POST /orders): the order as PENDING and its saga start in the outbox
   * (`order_saga_starts`), in one statement, so one never exists without the other. Nothing is held
   * open afterwards: the saga is started outside any transaction (workers/order/saga-starts.ts).
   * Accepting the same order again changes nothing and answers `created: false`.
   */
  async acceptPending(input: OrderWorkflowInput): Promise<{ created: boolean }> {
    const { orderId, order, acceptedAt } = input;
    const { rows } = await this.db.query<{ created: number }>(
      `WITH ${insertPendingOrder},
       history AS (
         INSERT INTO order_status_history (order_id, status, at) SELECT order_id, 'PENDING', $7 FROM inserted),
       outbox AS (
         INSERT INTO order_saga_starts (order_id, input) SELECT order_id, $8 FROM inserted)
       SELECT count(*)::int AS created FROM inserted`,
      [...pendingOrderParams(orderId, order, acceptedAt), JSON.stringify(input)],
    );
    return { created: rows[0]!.created > 0 };
  }

  /** Temporal has the order's saga (started now, or before): the outbox row is done with. */
  async sagaStarted(orderId: string): Promise<void> {
    await this.db.query('DELETE FROM order_saga_starts WHERE order_id = $1', [orderId]);
  }

  /** A start that failed; the row stays for the sweeper, with how often and why. */
  async sagaStartFailed(orderId: string, error: string): Promise<void> {
    await this.db.query('UPDATE order_saga_starts SET attempts = attempts + 1, last_error = $2 WHERE order_id = $1', [
      orderId,
      error.slice(0, 1000),
    ]);
  }

  /** Saga starts older than `olderThanMs` (by the database's clock): the ones no request is still making. */
  async unstartedSagas(olderThanMs: number, limit: number): Promise<{ input: OrderWorkflowInput; attempts: number }[]> {
    const { rows } = await this.db.query<{ input: OrderWorkflowInput; attempts: number }>(
      `SELECT input, attempts FROM order_saga_starts
       WHERE created_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)
       ORDER BY created_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows;
  }

  /** How many accepted orders wait for their saga to start, and the oldest one's age in seconds. */
  async sagaStartBacklog(): Promise<{ count: number; oldestSeconds: number }> {
    const { rows } = await this.db.query<{ count: number; oldestSeconds: number | null }>(
      `SELECT count(*)::int AS count, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float8 AS "oldestSeconds" FROM order_saga_starts`,
    );
    return { count: rows[0]!.count, oldestSeconds: rows[0]!.oldestSeconds ?? 0 };
  }

  /**
   * Moves an order to a status and appends it to the history, in one transaction. Entering a status
   * the order has already entered is a no-op, so a retried activity records it once.
   */
  recordStatus(orderId: string, change: StatusChange): Promise<OrderRecord> {
    return withTransaction(this.db, async (tx) => {
      const entered = await tx.query(
        `INSERT INTO order_status_history (order_id, status, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [orderId, change.status, change.reason ?? null],
      );
      if (entered.rowCount === 1) {
        await tx.query(
          `UPDATE orders SET status = $2, reason = COALESCE($3, reason), amount_minor = COALESCE($4, amount_minor),
             currency = COALESCE($5, currency), payment_id = COALESCE($6, payment_id), updated_at = now()
           WHERE order_id = $1 AND status <> ALL($7)`,
          // A terminal status is final: a late transition (a cancelled step still reporting) must
          // not move a CANCELLED order back to a live status; its history keeps the line.
          [
            orderId,
            change.status,
            change.reason ?? null,
            change.amountMinor ?? null,
            change.currency ?? null,
            change.paymentId ?? null,
            terminalStatuses,
          ],
        );
      }
      const order = await this.find(orderId, tx);
      if (!order) throw new Error(`order ${orderId} does not exist`);
      return order;
    });
  }

  /**
   * After the saga: a COMPLETED order whose payment was refunded becomes REFUNDED, with its history
   * entry, in one transaction. Idempotent (REFUNDED again is a no-op); `refunded` is false then.
   * Any other status is refused: only a completed order has money to give back.
   */
  recordRefund(orderId: string, reason: string): Promise<{ order: OrderRecord; refunded: boolean }> {
    return withTransaction(this.db, async (tx) => {
      const { rows } = await tx.query<{ status: string }>('SELECT status FROM orders WHERE order_id = $1 FOR UPDATE', [orderId]);
      const status = rows[0]?.status;
      if (status === undefined) throw new Error(`order ${orderId} does not exist`);
      if (status !== 'COMPLETED' && status !== 'REFUNDED') throw new OrderNotRefundableError(orderId, status);
      if (status === 'COMPLETED') {
        await tx.query(`UPDATE orders SET status = 'REFUNDED', reason = $2, updated_at = now() WHERE order_id = $1`, [orderId, reason]);
        await tx.query(`INSERT INTO order_status_history (order_id, status, reason) VALUES ($1, 'REFUNDED', $2) ON CONFLICT DO NOTHING`, [
          orderId,
          reason,
        ]);
      }
      return { order: (await this.find(orderId, tx))!, refunded: status === 'COMPLETED' };
    });
  }

  async find(orderId: string, on: Queryable = this.db): Promise<OrderRecord | undefined> {
    const { rows } = await on.query<OrderRecord>(
      `SELECT o.order_id AS "orderId", o.customer_id AS "customerId", o.status, o.payment_channel AS "paymentChannel",
              o.card_last4 AS "cardLast4", o.items, o.shipping_address AS "shippingAddress", o.amount_minor AS "amountMinor",
              o.currency, o.payment_id AS "paymentId", o.reason, o.accepted_at AS "acceptedAt",
              COALESCE((SELECT json_agg(json_strip_nulls(json_build_object('status', h.status, 'at', h.at, 'reason', h.reason))
                                 ORDER BY h.at, h.status)
                        FROM order_status_history h WHERE h.order_id = o.order_id), '[]') AS history
       FROM orders o WHERE o.order_id = $1`,
      [orderId],
    );
    const order = rows[0];
    return (
      order && {
        ...order,
        acceptedAt: new Date(order.acceptedAt).toISOString(),
        history: order.history.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
      }
    );
  }

  /** Orders by current status, and how many times each status was entered (the transitions). */
  async summary(): Promise<{ byStatus: Record<string, number>; transitions: Record<string, number> }> {
    const [current, entered] = await Promise.all([
      this.db.query<{ status: string; count: number }>('SELECT status, count(*)::int AS count FROM orders GROUP BY status'),
      this.db.query<{ status: string; count: number }>('SELECT status, count(*)::int AS count FROM order_status_history GROUP BY status'),
    ]);
    const byStatus = Object.fromEntries(current.rows.map((row) => [row.status, row.count]));
    return { byStatus, transitions: Object.fromEntries(entered.rows.map((row) => [row.status, row.count])) };
  }

  async listIds(limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ orderId: string }>(
      'SELECT order_id AS "orderId" FROM orders ORDER BY accepted_at DESC LIMIT $1',
      [limit],
    );
    return rows.map((row) => row.orderId);
  }

  async listByCustomer(customerId: string, limit: number): Promise<OrderRecord[]> {
    const { rows } = await this.db.query<{ orderId: string }>(
      `SELECT order_id AS "orderId" FROM orders WHERE customer_id = $1 ORDER BY accepted_at DESC LIMIT $2`,
      [customerId, limit],
    );
    const orders = await Promise.all(rows.map((row) => this.find(row.orderId)));
    return orders.filter((order): order is OrderRecord => order !== undefined);
  }
}

/** The card's last four digits: from the vault's answer, or (a saga started before tokenization) from its number. */
function cardLast4(order: SagaOrder): string {
  return isLegacyPayment(order.payment) ? order.payment.cardNumber.slice(-4) : order.payment.last4;
}

/** A refund asked for an order that did not complete: nothing was charged that a refund could return. */
export class OrderNotRefundableError extends Error {
  constructor(
    readonly orderId: string,
    readonly status: string,
  ) {
    super(`order ${orderId} is ${status}: only a COMPLETED order can be refunded`);
    this.name = 'OrderNotRefundableError';
  }
}
