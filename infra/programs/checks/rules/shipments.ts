/**
 * Shipments (fulfillment) against orders (order service): goods leave for a completed order and
 * for nothing else. A live shipment of a cancelled order sends goods nobody paid for; a completed
 * order without one was charged for goods that never leave. A REFUNDED order's parcel was lost
 * (docs/saga.md#a-shipments-life).
 */
import { defineRule, describe, groupBy, movedRecently, terminalOrders, type Violation } from '../model.js';

const matches = 'shipments.matchOrderStatus';
const known = 'shipments.belongToKnownOrders';
const live = new Set(['SCHEDULED', 'SHIPPED', 'DELIVERED']);

export const shipmentMatchesOrderStatus = defineRule({
  name: matches,
  holds:
    'a finished order has a live (scheduled, shipped or delivered) shipment if and only if it COMPLETED; a REFUNDED one has a lost one; any other ending has none or a cancelled one',
  unit: 'orders',
  needs: ['orders', 'shipments'],
  check(snapshot, context) {
    const byOrder = groupBy(snapshot.shipments, (row) => row.orderId);
    const finished = terminalOrders(snapshot.orders);
    const violations: Violation[] = [];
    for (const order of finished) {
      const shipments = byOrder.get(order.orderId) ?? [];
      const liveOnes = shipments.filter((shipment) => live.has(shipment.status));
      const seen = shipments.map((shipment) => `${shipment.shipmentId} ${shipment.status}`).join(', ') || 'none';
      // A REFUNDED order was refunded because its parcel was lost: its one shipment is LOST.
      const refundedWithoutLoss = order.status === 'REFUNDED' && !shipments.some((shipment) => shipment.status === 'LOST');
      const wrong = order.status === 'COMPLETED' ? liveOnes.length !== 1 : liveOnes.length > 0 || refundedWithoutLoss;
      if (wrong) {
        violations.push({
          rule: matches,
          orderId: order.orderId,
          settling: movedRecently(order, snapshot, context),
          message:
            order.status === 'COMPLETED'
              ? `${describe(order)}: expected one live shipment, found ${seen}`
              : refundedWithoutLoss
                ? `${describe(order)}: refunded, but no shipment of it was lost: ${seen}`
                : `${describe(order)}: a live shipment remains: ${seen}`,
        });
      }
    }
    return { checked: finished.length, violations };
  },
});

export const shipmentsBelongToKnownOrders = defineRule({
  name: known,
  holds: 'every shipment belongs to an order the order service knows',
  unit: 'shipments',
  needs: ['orders', 'shipments'],
  check(snapshot) {
    const violations = snapshot.shipments
      .filter((row) => !snapshot.orders.has(row.orderId))
      .map((row) => ({
        rule: known,
        orderId: row.orderId,
        settling: false,
        message: `shipment ${row.shipmentId} (${row.status}) of unknown order ${row.orderId}`,
      }));
    return { checked: snapshot.shipments.length, violations };
  },
});
