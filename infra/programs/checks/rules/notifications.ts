/**
 * Notifications against what happened. Every customer-facing status an order entered (per its
 * history, in the order service) is told to the customer exactly once; and every customer-facing
 * event the notification service processed (its inbox, a different table from the notifications)
 * produced exactly one notification, compared by (order, event type), so a duplicate sent under a
 * new id is seen as well as one never sent.
 */
import { defineRule, describe, eventOfStatus, movedRecently, terminalOrders, type Violation } from '../model.js';

const history = 'notifications.oncePerHistoryEvent';
const inbox = 'notifications.oncePerProcessedEvent';

export const notificationsOncePerHistoryEvent = defineRule({
  name: history,
  holds: "every customer-facing event of an order's history has exactly one notification",
  unit: 'orders',
  needs: ['orders', 'notifications'],
  check(snapshot, context) {
    const facing = new Set(snapshot.notifications.customerFacingTypes);
    const byOrder = new Map(snapshot.notifications.orders.map((row) => [row.orderId, row]));
    const finished = terminalOrders(snapshot.orders);
    const violations: Violation[] = [];
    for (const order of finished) {
      const notified = byOrder.get(order.orderId)?.notified ?? {};
      const problems = order.history
        .flatMap((entry) => eventOfStatus[entry.status] ?? [])
        .filter((type) => facing.has(type) && notified[type] !== 1)
        .map((type) => `${type} notified ${notified[type] ?? 0} times`);
      if (problems.length > 0) {
        violations.push({
          rule: history,
          orderId: order.orderId,
          settling: movedRecently(order, snapshot, context),
          message: `${describe(order)}: ${problems.join('; ')}, expected once each`,
        });
      }
    }
    return { checked: finished.length, violations };
  },
});

export const notificationsOncePerProcessedEvent = defineRule({
  name: inbox,
  holds:
    'per (order, customer-facing event type) the notification service processed, exactly one notification, and none without a processed event or a known order',
  unit: 'orders',
  needs: ['orders', 'notifications'],
  check(snapshot, context) {
    const violations: Violation[] = [];
    for (const row of snapshot.notifications.orders) {
      const order = snapshot.orders.get(row.orderId);
      if (!order) {
        violations.push({
          rule: inbox,
          orderId: row.orderId,
          settling: false,
          message: `notifications for unknown order ${row.orderId}: ${JSON.stringify(row.notified)}`,
        });
        continue;
      }
      const types = [...new Set([...Object.keys(row.processed), ...Object.keys(row.notified)])].sort();
      const problems = types
        .filter((type) => (row.notified[type] ?? 0) !== 1 || !row.processed[type])
        .map((type) => `${type}: ${row.processed[type] ?? 0} processed, ${row.notified[type] ?? 0} notified`);
      if (problems.length > 0) {
        violations.push({
          rule: inbox,
          orderId: order.orderId,
          settling: movedRecently(order, snapshot, context),
          message: `${describe(order)}: ${problems.join('; ')} (expected one notification per processed type)`,
        });
      }
    }
    return { checked: snapshot.notifications.orders.length, violations };
  },
});
