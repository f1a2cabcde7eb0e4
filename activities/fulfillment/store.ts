/** The fulfillment service's data access: one shipment per order, in its own database. */
import type { Database } from '../../platform/db.js';

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

  /** Inserts the order's shipment, or returns the one it already has. */
  async schedule(shipment: Omit<Shipment, 'status'>): Promise<Shipment> {
    await this.db.query(
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
    return (await this.findByOrder(shipment.orderId))!;
  }

  async cancel(orderId: string, reason: string): Promise<Shipment | undefined> {
    await this.db.query(
      `UPDATE shipments SET status = 'CANCELLED', reason = $2, updated_at = now() WHERE order_id = $1 AND status = 'SCHEDULED'`,
      [orderId, reason],
    );
    return this.findByOrder(orderId);
  }

  async findByOrder(orderId: string): Promise<Shipment | undefined> {
    const { rows } = await this.db.query<Shipment>(`SELECT ${columns} FROM shipments WHERE order_id = $1`, [orderId]);
    return rows[0];
  }

  async list(limit: number): Promise<Shipment[]> {
    const { rows } = await this.db.query<Shipment>(`SELECT ${columns} FROM shipments ORDER BY created_at DESC LIMIT $1`, [limit]);
    return rows;
  }
}
