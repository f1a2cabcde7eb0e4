/** The fulfillment service's data access: one shipment per order, in its own database. */
import type { ShipmentStatus } from '../../platform/contracts/shipment.js';
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
  status: ShipmentStatus;
  carrier: string;
  address: Record<string, string>;
  lines: { sku: string; quantity: number }[];
  estimatedDelivery: string;
  /** When each step of its life happened (ISO times); a step not reached is absent. */
  scheduledAt: string;
  shippedAt?: string;
  deliveredAt?: string;
  lostAt?: string;
}

/** What `schedule` is given: the shipment before the database dates it. */
export type NewShipment = Omit<Shipment, 'status' | 'scheduledAt' | 'shippedAt' | 'deliveredAt' | 'lostAt'>;

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const columns = `shipment_id AS "shipmentId", order_id AS "orderId", customer_id AS "customerId", status, carrier,
  address, lines, to_char(estimated_delivery, 'YYYY-MM-DD') AS "estimatedDelivery", ${iso('created_at')} AS "scheduledAt",
  ${iso('shipped_at')} AS "shippedAt", ${iso('delivered_at')} AS "deliveredAt", ${iso('lost_at')} AS "lostAt"`;

/** Drops the steps not reached (NULL columns), so a shipment's JSON shows only what happened. */
function present(row: Shipment): Shipment {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null)) as unknown as Shipment;
}

export class FulfillmentStore {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the order's shipment, or returns the one it already has. Refuses an order whose
   * shipment was cancelled before it was ever scheduled (its tombstone): a late attempt must not
   * send goods for a saga that has been undone.
   */
  schedule(shipment: NewShipment): Promise<Shipment | { refused: string }> {
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
    return rows[0] && present(rows[0]);
  }

  /**
   * The carrier picks the shipment up: SCHEDULED → SHIPPED. Under the order's lock, so a cancel and a
   * pickup cannot both win: a shipment the saga's undo cancelled first stays CANCELLED. Idempotent
   * (a retry finds it SHIPPED, or further along); returns the shipment as it now is.
   */
  pickUp(shipmentId: string): Promise<Shipment> {
    return this.advance(shipmentId, `status = 'SHIPPED', shipped_at = now()`, ['SCHEDULED']);
  }

  /** The carrier's last word: SHIPPED → DELIVERED or LOST. Idempotent; returns the shipment as it now is. */
  arrive(shipmentId: string, outcome: { status: 'DELIVERED' } | { status: 'LOST'; reason: string }): Promise<Shipment> {
    return outcome.status === 'DELIVERED'
      ? this.advance(shipmentId, `status = 'DELIVERED', delivered_at = now()`, ['SHIPPED'])
      : this.advance(shipmentId, `status = 'LOST', lost_at = now(), reason = $2`, ['SHIPPED'], [outcome.reason]);
  }

  private advance(shipmentId: string, set: string, from: ShipmentStatus[], extra: unknown[] = []): Promise<Shipment> {
    return withTransaction(this.db, async (tx) => {
      const { rows } = await tx.query<{ orderId: string }>('SELECT order_id AS "orderId" FROM shipments WHERE shipment_id = $1', [
        shipmentId,
      ]);
      if (!rows[0]) throw new Error(`shipment ${shipmentId} does not exist`);
      await lockOrder(tx, rows[0].orderId);
      await tx.query(`UPDATE shipments SET ${set}, updated_at = now() WHERE shipment_id = $1 AND status = ANY($${extra.length + 2})`, [
        shipmentId,
        ...extra,
        from,
      ]);
      return (await this.findByOrder(rows[0].orderId, tx))!;
    });
  }

  async findByShipment(shipmentId: string): Promise<Shipment | undefined> {
    const { rows } = await this.db.query<Shipment>(`SELECT ${columns} FROM shipments WHERE shipment_id = $1`, [shipmentId]);
    return rows[0] && present(rows[0]);
  }

  async list(limit: number): Promise<Shipment[]> {
    const { rows } = await this.db.query<Shipment>(`SELECT ${columns} FROM shipments ORDER BY created_at DESC LIMIT $1`, [limit]);
    return rows.map(present);
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
