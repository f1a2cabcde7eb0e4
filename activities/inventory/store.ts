/**
 * The inventory service's data access: products and per-order reservations in its own database.
 * Every change keeps `available + reserved + shipped` equal to what was ever stocked.
 */
import type { Database } from '../../platform/db.js';
import { type Queryable, withTransaction } from '../../platform/db.js';
import type { OrderLine } from '../../platform/contracts/order.js';
import type { FailureReasonCode } from '../../platform/contracts/failure-reasons.js';

export interface Product {
  sku: string;
  name: string;
  unitPriceMinor: number;
  currency: string;
  available: number;
  reserved: number;
  shipped: number;
  /** Everything ever stocked: always available + reserved + shipped (a database constraint). */
  stocked: number;
}

export interface ReservedLine {
  sku: string;
  quantity: number;
  unitPriceMinor: number;
}

export type Reservation = {
  orderId: string;
  status: 'RESERVED' | 'RELEASED' | 'SHIPPED';
  lines: ReservedLine[];
  totalMinor: number;
  currency: string;
  /** Why it was released; a release that found nothing reserved says so here (its tombstone). */
  reason?: string | null;
};

export type ReserveResult =
  | { outcome: 'reserved'; reservation: Reservation }
  | {
      outcome: 'rejected';
      /** Absent in the results of reservations made before the code existed (recorded in older histories). */
      reasonCode?: Extract<FailureReasonCode, 'INSUFFICIENT_STOCK' | 'UNKNOWN_PRODUCT' | 'ORDER_ALREADY_RELEASED'>;
      reason: string;
      shortages: { sku: string; requested: number; available: number }[];
    };

const productColumns = `sku, name, unit_price_minor AS "unitPriceMinor", currency, available, reserved, shipped, stocked`;
const reservationColumns = `order_id AS "orderId", status, lines, total_minor AS "totalMinor", currency`;

/**
 * Serialises everything that decides an order's reservation (reserve, release), so a release can
 * never slip between a reserve's check and its insert. Held until the transaction ends.
 */
async function lockOrder(tx: Queryable, orderId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`reserve:${orderId}`]);
}

export class InventoryStore {
  constructor(private readonly db: Database) {}

  async listProducts(): Promise<Product[]> {
    const { rows } = await this.db.query<Product>(`SELECT ${productColumns} FROM products ORDER BY sku`);
    return rows;
  }

  async findProducts(skus: string[]): Promise<Product[]> {
    const { rows } = await this.db.query<Product>(`SELECT ${productColumns} FROM products WHERE sku = ANY($1)`, [skus]);
    return rows;
  }

  async countReservations(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; count: number }>(
      'SELECT status, count(*)::int AS count FROM reservations GROUP BY status',
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.count]));
  }

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    const { rows } = await this.db.query<Reservation>(`SELECT ${reservationColumns} FROM reservations WHERE order_id = $1`, [orderId]);
    return rows[0];
  }

  /** Adds a product or tops up its stock (admin restock); the price and name are updated. */
  async restock(product: { sku: string; name: string; unitPriceMinor: number; quantity: number }): Promise<Product> {
    const { rows } = await this.db.query<Product>(
      `INSERT INTO products (sku, name, unit_price_minor, available, stocked) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, unit_price_minor = EXCLUDED.unit_price_minor,
         available = products.available + EXCLUDED.available, stocked = products.stocked + EXCLUDED.available,
         updated_at = now()
       RETURNING ${productColumns}`,
      [product.sku, product.name, product.unitPriceMinor, product.quantity],
    );
    return rows[0]!;
  }

  /**
   * Reserves every line of an order, or none: a line that is short (or an unknown SKU) rejects the
   * whole order and changes nothing. Reserving again for the same order returns the reservation it has.
   */
  reserve(orderId: string, items: OrderLine[]): Promise<ReserveResult> {
    return withTransaction(this.db, async (tx) => {
      // Two attempts for the same order (a retry racing a slow first try) queue here, so the second
      // finds the first's reservation instead of failing on the primary key.
      await lockOrder(tx, orderId);
      const existing = (
        await tx.query<Reservation>(`SELECT ${reservationColumns}, reason FROM reservations WHERE order_id = $1`, [orderId])
      ).rows[0];
      // A released order is closed for good: a reserve that arrives after its release (a cancelled
      // attempt still running, a retry that outlived the saga) must not take stock nobody will return.
      if (existing?.status === 'RELEASED') {
        return {
          outcome: 'rejected',
          reasonCode: 'ORDER_ALREADY_RELEASED',
          reason: `the order was released before this reservation (${existing.reason ?? 'no reason given'})`,
          shortages: [],
        };
      }
      if (existing) {
        const { reason: _reason, ...reservation } = existing;
        return { outcome: 'reserved', reservation };
      }

      // Lock in SKU order so two orders sharing products can never deadlock.
      const skus = items.map((item) => item.sku).sort();
      const { rows: products } = await tx.query<Product>(
        `SELECT ${productColumns} FROM products WHERE sku = ANY($1) ORDER BY sku FOR UPDATE`,
        [skus],
      );
      const bySku = new Map(products.map((product) => [product.sku, product]));
      const shortages = items
        .map((item) => ({ sku: item.sku, requested: item.quantity, available: bySku.get(item.sku)?.available ?? 0 }))
        .filter((line) => line.available < line.requested);
      if (shortages.length > 0) {
        const unknown = shortages.filter((line) => !bySku.has(line.sku)).map((line) => line.sku);
        return unknown.length > 0
          ? { outcome: 'rejected', reasonCode: 'UNKNOWN_PRODUCT', reason: `unknown SKU ${unknown.join(', ')}`, shortages }
          : {
              outcome: 'rejected',
              reasonCode: 'INSUFFICIENT_STOCK',
              reason: `insufficient stock for ${shortages.map((line) => line.sku).join(', ')}`,
              shortages,
            };
      }

      const lines = items.map((item) => ({ sku: item.sku, quantity: item.quantity, unitPriceMinor: bySku.get(item.sku)!.unitPriceMinor }));
      for (const line of lines) {
        await tx.query(`UPDATE products SET available = available - $2, reserved = reserved + $2, updated_at = now() WHERE sku = $1`, [
          line.sku,
          line.quantity,
        ]);
      }
      const totalMinor = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceMinor, 0);
      const currency = products[0]!.currency;
      await tx.query(`INSERT INTO reservations (order_id, status, lines, total_minor, currency) VALUES ($1, 'RESERVED', $2, $3, $4)`, [
        orderId,
        JSON.stringify(lines),
        totalMinor,
        currency,
      ]);
      return { outcome: 'reserved', reservation: { orderId, status: 'RESERVED', lines, totalMinor, currency } };
    });
  }

  /** Moves a reservation's stock with it: back to available (release) or on to shipped (commit). */
  private settle(orderId: string, to: 'RELEASED' | 'SHIPPED', reason?: string): Promise<Reservation | undefined> {
    return withTransaction(this.db, async (tx) => {
      if (to === 'RELEASED') await lockOrder(tx, orderId);
      const { rows } = await tx.query<Reservation>(`SELECT ${reservationColumns} FROM reservations WHERE order_id = $1 FOR UPDATE`, [
        orderId,
      ]);
      const reservation = rows[0];
      if (!reservation && to === 'RELEASED') {
        // Nothing reserved yet: leave a tombstone, so a reserve that arrives later refuses instead
        // of taking stock after its saga has been undone.
        const tombstone = `released before any stock was reserved: ${reason ?? 'no reason given'}`;
        await tx.query(
          `INSERT INTO reservations (order_id, status, lines, total_minor, currency, reason) VALUES ($1, 'RELEASED', '[]', 0, '', $2)`,
          [orderId, tombstone],
        );
        return { orderId, status: 'RELEASED', lines: [], totalMinor: 0, currency: '', reason: tombstone };
      }
      if (!reservation || reservation.status !== 'RESERVED') return reservation;
      const target = to === 'RELEASED' ? 'available' : 'shipped';
      for (const line of [...reservation.lines].sort((a, b) => a.sku.localeCompare(b.sku))) {
        await tx.query(`UPDATE products SET reserved = reserved - $2, ${target} = ${target} + $2, updated_at = now() WHERE sku = $1`, [
          line.sku,
          line.quantity,
        ]);
      }
      await tx.query(`UPDATE reservations SET status = $2, reason = $3, updated_at = now() WHERE order_id = $1`, [
        orderId,
        to,
        reason ?? null,
      ]);
      return { ...reservation, status: to };
    });
  }

  /**
   * Returns a reservation's stock to available. For an order with nothing reserved it changes no
   * stock but records the release, so the order can never reserve afterwards.
   */
  release(orderId: string, reason: string): Promise<Reservation | undefined> {
    return this.settle(orderId, 'RELEASED', reason);
  }

  /** Marks a reservation's stock as shipped once fulfillment has taken the order. */
  commit(orderId: string): Promise<Reservation | undefined> {
    return this.settle(orderId, 'SHIPPED');
  }

  /**
   * For the auditor (infra/programs/checks/): each product's `reserved`/`shipped` counters beside the sums of
   * its RESERVED and SHIPPED reservation lines, in SKU order. The two sides come from different
   * tables but one statement, so they are one snapshot; a line naming no product shows with null
   * counters. `after`/`only` are SKUs (platform/admin-pages.ts).
   */
  async stockAgainstLines(
    after: string | null,
    limit: number,
    only: string[] | null,
  ): Promise<{ sku: string; reserved: number | null; shipped: number | null; reservedInLines: number; shippedInLines: number }[]> {
    const { rows } = await this.db.query<{
      sku: string;
      reserved: number | null;
      shipped: number | null;
      reservedInLines: number;
      shippedInLines: number;
    }>(
      `WITH p AS (
         SELECT sku, reserved, shipped FROM products
         WHERE ($1::text IS NULL OR sku > $1) AND ($3::text[] IS NULL OR sku = ANY($3))),
       l AS (
         SELECT line->>'sku' AS sku,
                COALESCE(sum((line->>'quantity')::int) FILTER (WHERE r.status = 'RESERVED'), 0)::int AS reserved,
                COALESCE(sum((line->>'quantity')::int) FILTER (WHERE r.status = 'SHIPPED'), 0)::int AS shipped
         FROM reservations r CROSS JOIN LATERAL jsonb_array_elements(r.lines) AS line
         WHERE ($1::text IS NULL OR line->>'sku' > $1) AND ($3::text[] IS NULL OR line->>'sku' = ANY($3))
         GROUP BY 1)
       SELECT COALESCE(p.sku, l.sku) AS sku, p.reserved, p.shipped,
              COALESCE(l.reserved, 0) AS "reservedInLines", COALESCE(l.shipped, 0) AS "shippedInLines"
       FROM p FULL JOIN l ON l.sku = p.sku
       ORDER BY 1 LIMIT $2`,
      [after, limit, only],
    );
    return rows;
  }

  /** For the auditor: reservations in order-id order (`after`/`only` are order ids), tombstones included. */
  async reservationsPage(
    after: string | null,
    limit: number,
    only: string[] | null,
  ): Promise<(Reservation & { createdAt: string; updatedAt: string })[]> {
    const { rows } = await this.db.query<Reservation & { createdAt: string; updatedAt: string }>(
      `SELECT ${reservationColumns}, created_at AS "createdAt", updated_at AS "updatedAt" FROM reservations
       WHERE ($1::uuid IS NULL OR order_id > $1) AND ($3::uuid[] IS NULL OR order_id = ANY($3))
       ORDER BY order_id LIMIT $2`,
      [after, limit, only],
    );
    return rows;
  }
}
