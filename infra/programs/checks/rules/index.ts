/** Every rule the auditor runs, in report order: stock first, then each order's settlement, then the consumers. */
import type { Rule } from '../model.js';
import { analyticsEventsMatchHistories, eventCountsMatchInbox, eventCountsMatchTransitions } from './analytics.js';
import { notificationsOncePerHistoryEvent, notificationsOncePerProcessedEvent } from './notifications.js';
import { completedOrdersHaveOneMatchingApproval, liveApprovalsBelongToCompletedOrders } from './payments.js';
import { reservationSettledPerOrderStatus, reservationsBelongToKnownOrders } from './reservations.js';
import { shipmentMatchesOrderStatus, shipmentsBelongToKnownOrders } from './shipments.js';
import { stockCountersMatchLines } from './stock.js';
import { everyOrderTerminal } from './terminal.js';

export const rules: readonly Rule[] = [
  stockCountersMatchLines,
  everyOrderTerminal,
  reservationSettledPerOrderStatus,
  reservationsBelongToKnownOrders,
  shipmentMatchesOrderStatus,
  shipmentsBelongToKnownOrders,
  liveApprovalsBelongToCompletedOrders,
  completedOrdersHaveOneMatchingApproval,
  analyticsEventsMatchHistories,
  eventCountsMatchTransitions,
  eventCountsMatchInbox,
  notificationsOncePerHistoryEvent,
  notificationsOncePerProcessedEvent,
];
