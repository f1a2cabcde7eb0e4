/** Reads the business KPIs out of the analytics database. */
import type { Database } from '../../platform/db.js';

export interface Kpis {
  eventCounts: Record<string, number>;
  ordersByStatus: Record<string, number>;
  revenue: { currency: string; completedMinor: number }[];
  declineRateByChannel: { channel: string; authorized: number; declined: number; declineRate: number }[];
  endToEndLatencyMs: {
    completed: number;
    mean: number | null;
    p50: number | null;
    p95: number | null;
    p99: number | null;
    max: number | null;
  };
}

export async function readKpis(db: Database): Promise<Kpis> {
  const [counts, statuses, revenue, declines, latency] = await Promise.all([
    db.query<{ event_type: string; count: number }>('SELECT event_type, count FROM event_counts ORDER BY event_type'),
    db.query<{ status: string; orders: number }>(
      'SELECT status, count(*)::int AS orders FROM order_facts WHERE status IS NOT NULL GROUP BY status ORDER BY status',
    ),
    db.query<{ currency: string; completed_minor: number }>(
      `SELECT currency, sum(amount_minor)::bigint AS completed_minor FROM order_facts
       WHERE status = 'COMPLETED' AND currency IS NOT NULL GROUP BY currency ORDER BY currency`,
    ),
    readDeclineRates(db),
    db.query<{ completed: number; mean: number | null; p50: number | null; p95: number | null; p99: number | null; max: number | null }>(
      // A REFUNDED order's saga completed too (its refund came after, and terminal_at stays the saga's end).
      `WITH l AS (SELECT extract(epoch FROM terminal_at - accepted_at) * 1000 AS ms FROM order_facts
                  WHERE status IN ('COMPLETED', 'REFUNDED') AND accepted_at IS NOT NULL AND terminal_at IS NOT NULL)
       SELECT count(*)::int AS completed, round(avg(ms))::float8 AS mean,
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::float8 AS p50,
              round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))::float8 AS p95,
              round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::float8 AS p99,
              round(max(ms))::float8 AS max FROM l`,
    ),
  ]);
  return {
    eventCounts: Object.fromEntries(counts.rows.map((row) => [row.event_type, row.count])),
    ordersByStatus: Object.fromEntries(statuses.rows.map((row) => [row.status, row.orders])),
    revenue: revenue.rows.map((row) => ({ currency: row.currency, completedMinor: row.completed_minor })),
    declineRateByChannel: declines,
    endToEndLatencyMs: latency.rows[0]!,
  };
}

/** Authorized and declined payments per line, and the decline rate: for the KPIs and the `order.payment.decline_ratio` gauge. */
export async function readDeclineRates(db: Database): Promise<Kpis['declineRateByChannel']> {
  const { rows } = await db.query<{ channel: string; authorized: number; declined: number }>(
    `SELECT payment_channel AS channel,
            count(*) FILTER (WHERE payment_outcome = 'authorized')::int AS authorized,
            count(*) FILTER (WHERE payment_outcome = 'declined')::int AS declined
     FROM order_facts WHERE payment_outcome IS NOT NULL GROUP BY payment_channel ORDER BY payment_channel`,
  );
  return rows.map((row) => ({
    ...row,
    declineRate: row.authorized + row.declined === 0 ? 0 : row.declined / (row.authorized + row.declined),
  }));
}
