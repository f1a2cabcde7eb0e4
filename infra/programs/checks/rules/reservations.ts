/**
 * Reservations (inventory) against orders (order service). A finished saga leaves its reservation
 * settled: SHIPPED when the order completed, released or never made otherwise. A reservation whose
 * order does not exist holds stock nobody will return.
 */
import { defineRule, describe, groupBy, movedRecently, terminalOrders, type Violation } from '../model.js';

const settled = 'reservations.settledPerOrderStatus';
const known = 'reservations.belongToKnownOrders';

export const reservationSettledPerOrderStatus = defineRule({
  name: settled,
  holds: "every finished order's reservation is settled by its status: COMPLETED → SHIPPED; any other ending → RELEASED or none",
  unit: 'orders',
  needs: ['orders', 'reservations'],
  check(snapshot, context) {
    const byOrder = groupBy(snapshot.reservations, (row) => row.orderId);
    const finished = terminalOrders(snapshot.orders);
    const violations: Violation[] = [];
    for (const order of finished) {
      const status = byOrder.get(order.orderId)?.[0]?.status ?? 'none';
      const expected = order.status === 'COMPLETED' ? ['SHIPPED'] : ['RELEASED', 'none'];
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
