/**
 * Reservations (inventory) against orders (order service) and shipments (fulfillment). A finished
 * saga leaves its reservation settled: held for a COMPLETED order until the carrier takes the parcel
 * (the shipment's workflow commits it then, docs/saga.md#a-shipments-life), SHIPPED from then on,
 * also for a REFUNDED order (its parcel left and was lost); released or never made otherwise. A
 * reservation whose order does not exist holds stock nobody will return.
 */
import type { AuditedOrder, ShipmentRow } from '../sources.js';
import { defineRule, describe, groupBy, movedRecently, terminalOrders, type Violation } from '../model.js';

const settled = 'reservations.settledPerOrderStatus';
const known = 'reservations.belongToKnownOrders';
/** The carrier has (or had) the parcel: its goods have left the warehouse. */
const pickedUp = new Set(['SHIPPED', 'DELIVERED', 'LOST']);

/** The reservation statuses a finished order may show, given its shipments. */
function settledStatuses(order: AuditedOrder, shipments: ShipmentRow[]): string[] {
  if (order.status === 'REFUNDED') return ['SHIPPED'];
  if (order.status !== 'COMPLETED') return ['RELEASED', 'none'];
  if (shipments.some((shipment) => pickedUp.has(shipment.status))) return ['SHIPPED'];
  // Not picked up yet: still in the warehouse (sagas before v6 committed it themselves).
  return ['RESERVED', 'SHIPPED'];
}

export const reservationSettledPerOrderStatus = defineRule({
  name: settled,
  holds:
    "every finished order's reservation is settled by its status: COMPLETED → SHIPPED once the carrier has the parcel (RESERVED before); REFUNDED → SHIPPED; any other ending → RELEASED or none",
  unit: 'orders',
  needs: ['orders', 'reservations', 'shipments'],
  check(snapshot, context) {
    const byOrder = groupBy(snapshot.reservations, (row) => row.orderId);
    const shipmentsByOrder = groupBy(snapshot.shipments, (row) => row.orderId);
    const finished = terminalOrders(snapshot.orders);
    const violations: Violation[] = [];
    for (const order of finished) {
      const status = byOrder.get(order.orderId)?.[0]?.status ?? 'none';
      const expected = settledStatuses(order, shipmentsByOrder.get(order.orderId) ?? []);
      if (!expected.includes(status)) {
        violations.push({
          rule: settled,
          orderId: order.orderId,
          settling: movedRecently(order, snapshot, context),
          message: `${describe(order)}: reservation is ${status}, expected ${expected.join(' or ')}`,
        });
      }
    }
    return { checked: finished.length, violations };
  },
});

export const reservationsBelongToKnownOrders = defineRule({
  name: known,
  holds: 'every reservation belongs to an order the order service knows',
  unit: 'reservations',
  needs: ['orders', 'reservations'],
  check(snapshot) {
    const violations = snapshot.reservations
      .filter((row) => !snapshot.orders.has(row.orderId))
      .map((row) => ({
        rule: known,
        orderId: row.orderId,
        settling: false,
        message: `reservation of unknown order ${row.orderId} (${row.status}, ${row.lines.map((line) => `${line.quantity}×${line.sku}`).join(', ') || 'no lines'})`,
      }));
    return { checked: snapshot.reservations.length, violations };
  },
});
