/**
 * Analytics' projections against the orders' histories. Each status an order enters is announced
 * once (order.v1.created for PENDING, ...); analytics applies each event once (its inbox) to the
 * per-order facts and the per-type counters. Per order, the order events applied must be exactly
 * those of its history and the fact's status its status; estate-wide, each counter must equal the
 * transitions across all orders, and the inbox rows of its type (a counter bumped twice for one
 * inbox row is an event counted twice).
 */
import { defineRule, describe, eventOfStatus, movedRecently, terminalOrders, type Violation } from '../model.js';
import { isEventType, statusOfOrderEvent } from '../../../../platform/events/catalog.js';

const matches = 'analytics.eventsMatchHistories';
const counts = 'analytics.eventCountsMatchTransitions';
const inbox = 'analytics.eventCountsMatchInbox';

const wholeEstateOnly = 'estate-wide totals: runs only when the audit covers the whole estate';

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

export const analyticsEventsMatchHistories = defineRule({
  name: matches,
  holds:
    "per order, the order.* events analytics applied are exactly those of the statuses in the order's history, and its fact has the order's status; analytics knows no unknown order",
  unit: 'orders',
  needs: ['orders', 'analytics'],
  check(snapshot, context) {
    const byOrder = new Map(snapshot.analytics.map((row) => [row.orderId, row]));
    const finished = terminalOrders(snapshot.orders);
    const violations: Violation[] = [];
    for (const order of finished) {
      const row = byOrder.get(order.orderId);
      const applied = (row?.events ?? []).filter((type) => type.startsWith('order.')).sort();
      const expected = order.history.flatMap((entry) => eventOfStatus[entry.status] ?? []).sort();
      const settling = movedRecently(order, snapshot, context);
      if (!sameList(applied, expected)) {
        violations.push({
          rule: matches,
          orderId: order.orderId,
          settling,
          message: `${describe(order)}: analytics applied [${applied.join(', ')}], its history says [${expected.join(', ')}]`,
        });
      } else if (row?.factStatus !== order.status) {
        violations.push({
          rule: matches,
          orderId: order.orderId,
          settling,
          message: `${describe(order)}: analytics' order fact says ${row?.factStatus ?? 'nothing'}`,
        });
      }
    }
    for (const row of snapshot.analytics) {
      if (!snapshot.orders.has(row.orderId)) {
        violations.push({
          rule: matches,
          orderId: row.orderId,
          settling: false,
          message: `analytics holds unknown order ${row.orderId}: [${row.events.join(', ')}], fact ${row.factStatus ?? 'none'}`,
        });
      }
    }
    return { checked: finished.length, violations };
  },
});

export const eventCountsMatchTransitions = defineRule({
  name: counts,
  holds: 'per order event type, analytics event_counts equals the transitions to its status across every order history',
  unit: 'event types',
  needs: ['orders', 'eventCounts'],
  check(snapshot, context) {
    if (!snapshot.wholeEstate) return { checked: 0, violations: [], skipped: wholeEstateOnly };
    const transitions = new Map<string, number>();
    for (const order of snapshot.orders.values()) {
      for (const entry of order.history) {
        const type = eventOfStatus[entry.status];
        if (type) transitions.set(type, (transitions.get(type) ?? 0) + 1);
      }
    }
    const types = new Set([
      ...Object.keys(statusOfOrderEvent),
      ...Object.keys(snapshot.eventCounts.eventCounts).filter((type) => type.startsWith('order.')),
    ]);
    // Some order moved lately: a consumer may still be behind, so a difference may yet close.
    const settling = [...snapshot.orders.values()].some((order) => movedRecently(order, snapshot, context));
    const violations: Violation[] = [];
    for (const type of [...types].sort()) {
      const counted = snapshot.eventCounts.eventCounts[type] ?? 0;
      const expected = transitions.get(type) ?? 0;
      if (counted !== expected) {
        const known = isEventType(type) ? '' : ' (not an event type of the catalogue)';
        violations.push({
          rule: counts,
          settling,
          message: `event_counts[${type}]${known} is ${counted}, order histories hold ${expected} such transitions`,
        });
      }
    }
    return { checked: types.size, violations };
  },
});

export const eventCountsMatchInbox = defineRule({
  name: inbox,
  holds:
    "per event type, analytics' event_counts equals the events of that type in its inbox (processed_events): nothing counted twice or uncounted",
  unit: 'event types',
  needs: ['eventCounts'],
  check(snapshot) {
    if (!snapshot.wholeEstate) return { checked: 0, violations: [], skipped: wholeEstateOnly };
    const { eventCounts, inboxByType } = snapshot.eventCounts;
    const types = [...new Set([...Object.keys(eventCounts), ...Object.keys(inboxByType)])].sort();
    const violations = types
      .filter((type) => (eventCounts[type] ?? 0) !== (inboxByType[type] ?? 0))
      .map((type) => ({
        rule: inbox,
        settling: false,
        message: `event_counts[${type}] is ${eventCounts[type] ?? 0}, the inbox holds ${inboxByType[type] ?? 0} events of that type`,
      }));
    return { checked: types.length, violations };
  },
});
