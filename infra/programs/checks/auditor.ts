/**
 * The auditor: reads every source a chosen set of rules needs (./sources.ts), over the whole
 * estate or a scope, runs the rules (./rules/), and looks again while what it found may still
 * settle: a saga still running, a consumer behind, a service restarting. It stops when nothing
 * can settle any more or the deadline passes; what remains is reported. A source that could not
 * be read makes every rule that needs it an error, never a pass.
 *
 * Reading order matters for the whole estate: orders are read last, so every reservation,
 * shipment, approval, projection or notification read before them has its order in the
 * snapshot (an order's row is written before its saga starts), and "unknown order" means unknown.
 * A scoped audit reads its orders first, to learn their SKUs.
 */
import type { AuditedOrder } from './sources.js';
import {
  DependencyError,
  defaultEndpoints,
  type Endpoints,
  type Fetcher,
  readAnalyticsOrders,
  readEventCounts,
  readLedgerPages,
  readLedgerPerOrder,
  readNotifications,
  readOrders,
  readReservations,
  readShipments,
  readStock,
} from './sources.js';
import type { Rule, RuleContext, Scope, Snapshot, SourceName, Violation } from './model.js';
import { rules as allRules } from './rules/index.js';

export interface AuditOptions {
  /** Only these orders and SKUs; absent = the whole estate. */
  scope?: Scope;
  /** Only the rules with these names, or names starting with them (`payments`, `analytics.`). */
  rules?: string[];
  /** A non-terminal order older than this is a violation (default 120 s). */
  graceMs?: number;
  /** How long to keep looking while findings may still settle (default 120 s). */
  deadlineMs?: number;
  /** Pause between looks (default 1 s). */
  retryIntervalMs?: number;
  /** Per request (default 15 s); a service slower than this is an error. */
  requestTimeoutMs?: number;
  endpoints?: Endpoints;
  /** Told after each look that will be followed by another. */
  onRetry?: (progress: { attempt: number; settling: number; errors: string[]; remainingMs: number }) => void;
}

export interface RuleResult {
  rule: string;
  holds: string;
  unit: string;
  checked: number;
  violations: Violation[];
  notes: string[];
  /** The sources it needed that could not be read: the rule did not run, and the audit fails. */
  error?: string;
  skipped?: string;
}

export interface AuditReport {
  ok: boolean;
  scope: { wholeEstate: boolean; orderIds?: number; skus?: number };
  startedAt: string;
  durationMs: number;
  attempts: number;
  graceMs: number;
  /** Orders audited, and how many are in each status. */
  orders: number;
  byStatus: Record<string, number>;
  rules: RuleResult[];
  /** The sources that could not be read, with why. */
  errors: { source: SourceName; message: string }[];
  violationCount: number;
}

export const DEFAULT_GRACE_MS = 120_000;
export const DEFAULT_DEADLINE_MS = 120_000;

export function selectRules(names: string[] | undefined): Rule[] {
  if (!names || names.length === 0) return [...allRules];
  const chosen = allRules.filter((rule) => names.some((name) => rule.name === name || rule.name.startsWith(name)));
  const unmatched = names.filter((name) => !allRules.some((rule) => rule.name === name || rule.name.startsWith(name)));
  if (unmatched.length > 0) {
    throw new Error(`no rule named ${unmatched.join(', ')}; rules: ${allRules.map((rule) => rule.name).join(', ')}`);
  }
  return chosen;
}

async function takeSnapshot(needs: Set<SourceName>, scope: Scope | undefined, endpoints: Endpoints, fetcher: Fetcher): Promise<Snapshot> {
  const wholeEstate = scope?.orderIds === undefined && scope?.skus === undefined;
  const snapshot: Snapshot = { wholeEstate, asOf: Date.now(), errors: {}, requestedOrderIds: scope?.orderIds };
  const read = async <K extends SourceName>(name: K, load: () => Promise<Snapshot[K]>): Promise<void> => {
    if (!needs.has(name)) return;
    try {
      snapshot[name] = await load();
    } catch (error) {
      if (!(error instanceof DependencyError)) throw error;
      snapshot.errors[name] = error;
    }
  };
  const readOrdersInto = () =>
    read('orders', async () => {
      const { orders, asOf } = await readOrders(endpoints, wholeEstate ? undefined : only, fetcher);
      snapshot.asOf = asOf;
      return new Map(orders.map((order) => [order.orderId, order]));
    });

  // Named SKUs and no orders: an audit of those SKUs' counters, not of every order.
  const only = scope?.orderIds ?? (scope?.skus ? [] : undefined);
  let skus = scope?.skus;
  if (!wholeEstate && only !== undefined) {
    // A scoped audit reads its orders first: their items name the SKUs whose counters to check.
    if (needs.has('stock') && skus === undefined) needs.add('orders');
    await readOrdersInto();
    skus ??= snapshot.orders
      ? [...new Set([...snapshot.orders.values()].flatMap((order: AuditedOrder) => order.items.map((item) => item.sku)))]
      : [];
    if (needs.has('stock') && !snapshot.orders && scope?.skus === undefined) {
      snapshot.errors.stock = snapshot.errors.orders; // the SKUs to check come from the orders
      needs.delete('stock');
    }
  }

  const scoped = new Set(only);
  let ledgerMissing = false;
  await Promise.all([
    read('stock', () => readStock(endpoints, skus, fetcher)),
    read('reservations', () => readReservations(endpoints, only, fetcher)),
    read('shipments', () => readShipments(endpoints, only, fetcher)),
    read('analytics', () => readAnalyticsOrders(endpoints, only, fetcher)),
    read('eventCounts', () => readEventCounts(endpoints, fetcher)),
    read('notifications', () => readNotifications(endpoints, only, fetcher)),
    read('ledger', async () => {
      const payments = await readLedgerPages(endpoints, fetcher);
      if (payments === undefined) {
        ledgerMissing = true;
        return undefined;
      }
      const inScope = only === undefined ? payments : payments.filter((payment) => scoped.has(payment.orderId));
      return { payments: inScope, perOrderFallback: false };
    }),
  ]);
  if (wholeEstate) await readOrdersInto();
  if (ledgerMissing) {
    await read('ledger', async () => {
      if (!snapshot.orders) throw snapshot.errors.orders!;
      return { payments: await readLedgerPerOrder(endpoints, [...snapshot.orders.keys()], fetcher), perOrderFallback: true };
    });
  }
  return snapshot;
}

function runRules(rules: Rule[], snapshot: Snapshot, context: RuleContext): RuleResult[] {
  return rules.map((rule) => {
    const base = { rule: rule.name, holds: rule.holds, unit: rule.unit, checked: 0, violations: [], notes: [] };
    const failed = rule.needs.filter((source) => snapshot.errors[source] || snapshot[source] === undefined);
    if (failed.length > 0) {
      const why = failed.map((source) => snapshot.errors[source]?.message ?? `${source} was not read`);
      return { ...base, error: [...new Set(why)].join('; ') };
    }
    const outcome = rule.check(snapshot as never, context);
    return { ...base, ...outcome, notes: outcome.notes ?? [] };
  });
}

/** Audits the estate (or a scope) until nothing can settle any more or the deadline passes. */
export async function audit(options: AuditOptions = {}): Promise<AuditReport> {
  const rules = selectRules(options.rules);
  const endpoints = options.endpoints ?? defaultEndpoints();
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const fetcher: Fetcher = { timeoutMs: options.requestTimeoutMs ?? 15_000 };
  const started = Date.now();
  const deadline = started + (options.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const needs = new Set(rules.flatMap((rule) => rule.needs));

  let attempt = 0;
  let snapshot: Snapshot;
  let results: RuleResult[];
  for (;;) {
    attempt += 1;
    snapshot = await takeSnapshot(new Set(needs), options.scope, endpoints, fetcher);
    results = runRules(rules, snapshot, { graceMs });
    const settling = results.reduce((sum, result) => sum + result.violations.filter((violation) => violation.settling).length, 0);
    const errors = Object.values(snapshot.errors).map((error) => error.message);
    const remainingMs = deadline - Date.now();
    if ((settling === 0 && errors.length === 0) || remainingMs <= 0) break;
    options.onRetry?.({ attempt, settling, errors: [...new Set(errors)], remainingMs });
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.retryIntervalMs ?? 1000, remainingMs)));
  }

  const waited = Math.round((Date.now() - started) / 1000);
  for (const result of results) {
    for (const violation of result.violations) {
      if (!violation.settling) continue;
      violation.message +=
        attempt > 1
          ? ` (still so after ${waited} s of waiting)`
          : ' (something moved within the grace period: it may yet settle, and the audit did not wait)';
    }
  }
  const byStatus: Record<string, number> = {};
  for (const order of snapshot.orders?.values() ?? []) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
  const errors = (Object.entries(snapshot.errors) as [SourceName, Error][]).map(([source, error]) => ({ source, message: error.message }));
  const violationCount = results.reduce((sum, result) => sum + result.violations.length, 0);
  return {
    ok: violationCount === 0 && results.every((result) => !result.error),
    scope: {
      wholeEstate: snapshot.wholeEstate,
      ...(options.scope?.orderIds && { orderIds: options.scope.orderIds.length }),
      ...(options.scope?.skus && { skus: options.scope.skus.length }),
    },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    attempts: attempt,
    graceMs,
    orders: snapshot.orders?.size ?? 0,
    byStatus,
    rules: results,
    errors,
    violationCount,
  };
}
