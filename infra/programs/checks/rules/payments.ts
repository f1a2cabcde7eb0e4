/**
 * The payment ledger (payment-sim, the acquirer's side) against orders (ours). A live approval
 * (`authorized`: not voided, refunded or reversed) is money held on a customer's card: it must
 * belong to a COMPLETED order, and each COMPLETED order holds exactly one, for the order's amount.
 * The whole ledger is read, so an approval for an order we never recorded is seen too.
 */
import { isTerminal } from '../../../../platform/contracts/order.js';
import { defineRule, describe, groupBy, movedRecently, terminalOrders, type Violation } from '../model.js';
import type { Ledger } from '../sources.js';

const belong = 'payments.liveApprovalsBelongToCompletedOrders';
const one = 'payments.completedOrdersHaveOneMatchingApproval';

function fallbackNotes(ledger: Ledger): string[] {
  return ledger.perOrderFallback
    ? [
        'payment-sim has no GET /admin/ledger (404): payments were read per known order through GET /payments?orderId=, so approvals of unknown orders cannot be seen',
      ]
    : [];
}

export const liveApprovalsBelongToCompletedOrders = defineRule({
  name: belong,
  holds: 'every live approval in the ledger belongs to a known order that COMPLETED',
  unit: 'payments',
  needs: ['orders', 'ledger'],
  check(snapshot, context) {
    const violations: Violation[] = [];
    for (const payment of snapshot.ledger.payments) {
      if (payment.status !== 'authorized') continue;
      const order = snapshot.orders.get(payment.orderId);
      const what = `live approval ${payment.paymentId} (${payment.amountMinor} ${payment.currency}${payment.channel ? `, ${payment.channel}` : ''})`;
      if (!order) {
        violations.push({
          rule: belong,
          orderId: payment.orderId,
          settling: false,
          message: `${what} for unknown order ${payment.orderId}`,
        });
      } else if (isTerminal(order.status) && order.status !== 'COMPLETED') {
        violations.push({
          rule: belong,
          orderId: order.orderId,
          settling: movedRecently(order, snapshot, context),
          message: `${describe(order)}: ${what} left behind`,
        });
      }
      // A live approval of a running order is the saga mid-way; orders.terminal judges a stuck one.
    }
    return { checked: snapshot.ledger.payments.length, violations, notes: fallbackNotes(snapshot.ledger) };
  },
});

export const completedOrdersHaveOneMatchingApproval = defineRule({
  name: one,
  holds: 'each COMPLETED order has exactly one live approval: the one it recorded, for the order amount and currency',
  unit: 'completed orders',
  needs: ['orders', 'ledger'],
  check(snapshot, context) {
    const liveByOrder = groupBy(
      snapshot.ledger.payments.filter((payment) => payment.status === 'authorized'),
      (payment) => payment.orderId,
    );
    const completed = terminalOrders(snapshot.orders).filter((order) => order.status === 'COMPLETED');
    const violations: Violation[] = [];
    for (const order of completed) {
      const live = liveByOrder.get(order.orderId) ?? [];
      const settling = movedRecently(order, snapshot, context);
      if (live.length !== 1) {
        const ids = live.map((payment) => payment.paymentId).join(', ');
        violations.push({
          rule: one,
          orderId: order.orderId,
          settling,
          message: `${describe(order)}: ${live.length} live approvals${ids ? ` (${ids})` : ''}, expected 1`,
        });
        continue;
      }
      const payment = live[0]!;
      if (order.paymentId !== null && payment.paymentId !== order.paymentId) {
        // The approval the saga recorded was reversed or voided, and another one stands: a late
        // reversal of one attempt took the approval of the next.
        violations.push({
          rule: one,
          orderId: order.orderId,
          settling,
          message: `${describe(order)}: the live approval is ${payment.paymentId}, the order recorded ${order.paymentId}`,
        });
      } else if (payment.amountMinor !== order.amountMinor || payment.currency !== order.currency) {
        violations.push({
          rule: one,
          orderId: order.orderId,
          settling,
          message: `${describe(order)}: approval ${payment.paymentId} is for ${payment.amountMinor} ${payment.currency}, the order for ${order.amountMinor} ${order.currency}`,
        });
      }
    }
    return { checked: completed.length, violations, notes: fallbackNotes(snapshot.ledger) };
  },
});
