/**
 * The auditor's vocabulary: the snapshot the sources fill (./sources.ts), a rule over it, and what a
 * rule finds. Each rule (./rules/) is a named function of the snapshot; the auditor (./auditor.ts)
 * runs the rules, waits for what may still settle, and reports.
 */
import { isTerminal, type OrderStatus } from '../../../platform/contracts/order.js';
import { type EventType, statusOfOrderEvent } from '../../../platform/events/catalog.js';
import type { AnalyticsRow, AuditedOrder, EventCounts, Ledger, NotificationRow, ReservationRow, ShipmentRow, StockRow } from './sources.js';

/** What an audit covers: everything, or only these orders and SKUs (a test's own rows). */
export interface Scope {
  orderIds?: string[];
  skus?: string[];
}

export type SourceName = 'orders' | 'stock' | 'reservations' | 'shipments' | 'ledger' | 'analytics' | 'eventCounts' | 'notifications';

/** Everything read in one pass. A source that failed is absent, and its error is in `errors`. */
export interface Snapshot {
  /** Whether the audit covers the whole estate (estate-wide totals are only comparable then). */
  wholeEstate: boolean;
  /** The order database's clock when the orders were read, in ms: ages are measured on it. */
  asOf: number;
  /** A scoped audit's order ids, so one the order service does not know is reported. */
  requestedOrderIds?: string[];
  orders?: Map<string, AuditedOrder>;
  stock?: StockRow[];
  reservations?: ReservationRow[];
  shipments?: ShipmentRow[];
  ledger?: Ledger;
  analytics?: AnalyticsRow[];
  eventCounts?: EventCounts;
  notifications?: { customerFacingTypes: string[]; orders: NotificationRow[] };
  errors: Partial<Record<SourceName, Error>>;
}

export interface Violation {
  rule: string;
  message: string;
  orderId?: string;
  sku?: string;
  /**
   * Waiting may still clear it: it concerns an order that moved within the grace period (a saga
   * still running, a consumer behind), so the auditor looks again before calling it final.
   */
  settling: boolean;
}

export interface RuleContext {
  /** A non-terminal order older than this is a violation; a younger one is waited for. */
  graceMs: number;
}

export interface RuleOutcome {
  checked: number;
  violations: Violation[];
  notes?: string[];
  /** Why the rule did not run (a scoped audit cannot compare estate-wide totals). */
  skipped?: string;
}

/** The sources a rule reads, typed as present: the auditor only calls it when all of them were read. */
export type With<K extends SourceName> = Snapshot & Required<Pick<Snapshot, K>>;

export interface Rule<K extends SourceName = SourceName> {
  name: string;
  /** One sentence: what must hold. */
  holds: string;
  /** What `checked` counts: orders, SKUs, payments, event types. */
  unit: string;
  needs: readonly K[];
  check(snapshot: With<K>, context: RuleContext): RuleOutcome;
}

export function defineRule<K extends SourceName>(rule: Rule<K>): Rule {
  return rule as unknown as Rule;
}

// ---- helpers the rules share ---------------------------------------------------------------------

/** The order event each status is announced by (PENDING → order.v1.created, ...); some have none. */
export const eventOfStatus = Object.fromEntries(Object.entries(statusOfOrderEvent).map(([type, status]) => [status, type])) as Partial<
  Record<OrderStatus, EventType>
>;

/** When the order last moved (its newest transition, acceptance or update), in ms. */
export function lastMoved(order: AuditedOrder): number {
  return Math.max(Date.parse(order.acceptedAt), Date.parse(order.updatedAt), ...order.history.map((entry) => Date.parse(entry.at)));
}

/** Whether the order moved within the grace period, so other services may not have caught up yet. */
export function movedRecently(order: AuditedOrder, snapshot: Snapshot, context: RuleContext): boolean {
  return snapshot.asOf - lastMoved(order) < context.graceMs;
}

/** Orders whose saga has finished: the settlement rules judge these; `orders.terminal` judges the rest. */
export function terminalOrders(orders: Map<string, AuditedOrder>): AuditedOrder[] {
  return [...orders.values()].filter((order) => isTerminal(order.status));
}

export function describe(order: AuditedOrder): string {
  return `order ${order.orderId} (${order.status})`;
}

export function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

export function secondsAgo(snapshot: Snapshot, at: number): string {
  return `${Math.max(0, Math.round((snapshot.asOf - at) / 1000))} s ago`;
}
