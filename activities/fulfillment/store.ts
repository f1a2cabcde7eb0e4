/** The fulfillment service's data access: one shipment per order, in its own database. */
import type { Database } from '../../platform/db.js';
import { type Queryable, withTransaction } from '../../platform/db.js';

/** Serialises schedule and cancel for one order, so a cancel can never slip between a schedule's check and its insert. */
async function lockOrder(tx: Queryable, orderId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`shipment:${orderId}`]);
}

export interface Shipment {
  shipmentId: string;
  orderId: string;
  customerId: string;
  status: 'SCHEDULED' | 'SHIPPED' | 'CANCELLED';
  carrier: string;
  address: Record<string, string>;
  lines: { sku: string; quantity: number }[];
  estimatedDelivery: string;
}

const columns = `shipment_id AS "shipmentId", order_id AS "orderId", customer_id AS "customerId", status, carrier,
  address, lines, to_char(estimated_delivery, 'YYYY-MM-DD') AS "estimatedDelivery"`;

export class FulfillmentStore {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the order's shipment, or returns the one it already has. Refuses an order whose
   * shipment was cancelled before it was ever scheduled (its tombstone): a late attempt must not
   * send goods for a saga that has been undone.
   */
  schedule(shipment: Omit<Shipment, 'status'>): Promise<Shipment | { refused: string }> {
    return withTransaction(this.db, async (tx) => {
      await lockOrder(tx, shipment.orderId);
      const tombstone = await tx.query<{ reason: string }>('SELECT reason FROM shipment_tombstones WHERE order_id = $1', [
        shipment.orderId,
      ]);
      if (tombstone.rows[0]) return { refused: tombstone.rows[0].reason };
      await tx.query(
        `INSERT INTO shipments (shipment_id, order_id, customer_id, status, carrier, address, lines, estimated_delivery)
         VALUES ($1, $2, $3, 'SCHEDULED', $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING`,
        [
          shipment.shipmentId,
          shipment.orderId,
          shipment.customerId,
          shipment.carrier,
          JSON.stringify(shipment.address),
          JSON.stringify(shipment.lines),
          shipment.estimatedDelivery,
        ],
      );
      return (await this.findByOrder(shipment.orderId, tx))!;
    });
  }

  /**
   * Cancels the order's shipment if it has not left. With no shipment yet, records a tombstone so
   * a schedule that arrives later refuses.
   */
  cancel(orderId: string, reason: string): Promise<Shipment | undefined> {
    return withTransaction(this.db, async (tx) => {
      await lockOrder(tx, orderId);
      await tx.query(
        `UPDATE shipments SET status = 'CANCELLED', reason = $2, updated_at = now() WHERE order_id = $1 AND status = 'SCHEDULED'`,
        [orderId, reason],
      );
      const shipment = await this.findByOrder(orderId, tx);
      if (!shipment) {
        await tx.query('INSERT INTO shipment_tombstones (order_id, reason) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING', [
          orderId,
          reason,
        ]);
      }
      return shipment;
    });
  }

  async findByOrder(orderId: string, on: Queryable = this.db): Promise<Shipment | undefined> {
    const { rows } = await on.query<Shipment>(`SELECT ${columns} FROM shipments WHERE order_id = $1`, [orderId]);
    return rows[0];
  }

  async list(limit: number): Promise<Shipment[]> {
    const { rows } = await this.db.query<Shipment>(`SELECT ${columns} FROM shipments ORDER BY created_at DESC LIMIT $1`, [limit]);
    return rows;
  }

  /** For the auditor (infra/programs/checks/): shipments in order-id order (`after`/`only` are order ids). */
  async shipmentsPage(
    after: string | null,
    limit: number,
    only: string[] | null,
  ): Promise<{ shipmentId: string; orderId: string; status: Shipment['status']; createdAt: string; updatedAt: string }[]> {
    const { rows } = await this.db.query<{
      shipmentId: string;
      orderId: string;
      status: Shipment['status'];
      createdAt: string;
      updatedAt: string;
    }>(
      `SELECT shipment_id AS "shipmentId", order_id AS "orderId", status, created_at AS "createdAt", updated_at AS "updatedAt"
       FROM shipments WHERE ($1::uuid IS NULL OR order_id > $1) AND ($3::uuid[] IS NULL OR order_id = ANY($3))
       ORDER BY order_id LIMIT $2`,
      [after, limit, only],
    );
    return rows;
  }
}
