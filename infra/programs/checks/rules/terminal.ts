/**
 * Every saga ends. An order that has not reached a terminal status within the grace period is
 * stuck (a compensation failing for ever, a lost workflow); a younger one is waited for until the
 * audit's deadline. An order ends once: two terminal statuses in one history mean two endings were
 * recorded (and announced to the customer). The one exception is the after-sale refund: a COMPLETED
 * order whose parcel the carrier lost ends again, REFUNDED (docs/saga.md#a-shipments-life).
 */
import { isTerminal, terminalStatuses } from '../../../../platform/contracts/order.js';
import { defineRule, describe, type Violation } from '../model.js';

const rule = 'orders.terminal';

export const everyOrderTerminal = defineRule({
  name: rule,
  holds: 'every order reaches one terminal status (a non-terminal order older than the grace period is stuck)',
  unit: 'orders',
  needs: ['orders'],
  check(snapshot, context) {
    const violations: Violation[] = [];
    for (const order of snapshot.orders.values()) {
      const age = snapshot.asOf - Date.parse(order.acceptedAt);
      const ageText = `accepted ${Math.round(age / 1000)} s ago`;
      if (!isTerminal(order.status)) {
        const young = age < context.graceMs;
        violations.push({
          rule,
          orderId: order.orderId,
          settling: young,
          message: young
            ? `${describe(order)}: not terminal yet (${ageText}, within the ${context.graceMs / 1000} s grace period)`
            : `${describe(order)}: not terminal, ${ageText} (grace period ${context.graceMs / 1000} s)`,
        });
        continue;
      }
      const endings = order.history
        .filter((entry) => (terminalStatuses as readonly string[]).includes(entry.status))
        .map((entry) => entry.status);
      if (endings.length > 1 && !refundedAfterCompleting(endings)) {
        violations.push({
          rule,
          orderId: order.orderId,
          settling: false,
          message: `${describe(order)}: its history ends more than once: ${endings.join(', ')}`,
        });
      }
    }
    for (const orderId of snapshot.requestedOrderIds ?? []) {
      if (!snapshot.orders.has(orderId))
        violations.push({ rule, orderId, settling: false, message: `order ${orderId}: the order service does not know it` });
    }
    return { checked: snapshot.orders.size, violations };
  },
});

/** COMPLETED then REFUNDED: the saga's end, and the refund of a lost parcel after it. */
function refundedAfterCompleting(endings: string[]): boolean {
  return endings.length === 2 && endings.includes('COMPLETED') && endings.includes('REFUNDED');
}
