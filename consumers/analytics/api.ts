/** The analytics service's HTTP API: KPIs, and read-only listings for the auditor. */
import { Hono } from 'hono';
import { adminListing } from '../../platform/admin-pages.js';
import type { Database } from '../../platform/db.js';
import { withProblemDefaults } from '../../platform/http.js';
import { readKpis } from './kpis.js';

export function createAnalyticsApi(db: Database): Hono {
  const app = withProblemDefaults(new Hono(), 'analytics');
  app.get('/analytics/kpis', async (c) => c.json(await readKpis(db)));
  /** The events analytics has applied for one order, oldest first. */
  app.get('/analytics/orders/:orderId/events', async (c) => {
    const { rows } = await db.query<{ eventId: string; type: string; processedAt: string }>(
      `SELECT event_id AS "eventId", event_type AS type, processed_at AS "processedAt"
       FROM processed_events WHERE subject = $1 ORDER BY processed_at`,
      [c.req.param('orderId')],
    );
    return c.json({ orderId: c.req.param('orderId'), events: rows });
  });

  /**
   * For the auditor (infra/programs/checks/): per order, its projected fact's status and the types of the
   * events applied to it (the inbox), paged by order id (platform/admin-pages.ts). An order known
   * to only one of the two tables is listed too. Keys compare as "C" text, the order of their bytes,
   * so pages follow the same order whatever the database's collation.
   */
  app.get(
    '/admin/orders',
    adminListing({
      name: 'orders',
      key: 'orderId',
      // Keyed by the inbox's subject, which an odd event may have set to something that is not a UUID.
      textKeys: true,
      read: async ({ after, limit, only }) => {
        const { rows } = await db.query<{ orderId: string; factStatus: string | null; events: string[] }>(
          `WITH ids AS (
         SELECT id FROM (SELECT subject AS id FROM processed_events UNION SELECT order_id::text FROM order_facts) u
         WHERE ($1::text IS NULL OR id COLLATE "C" > $1) AND ($3::text[] IS NULL OR id = ANY($3))
         ORDER BY id COLLATE "C" LIMIT $2)
       SELECT ids.id AS "orderId", f.status AS "factStatus",
              COALESCE((SELECT json_agg(p.event_type ORDER BY p.processed_at) FROM processed_events p WHERE p.subject = ids.id), '[]') AS events
       FROM ids LEFT JOIN order_facts f ON f.order_id::text = ids.id
       ORDER BY ids.id COLLATE "C"`,
          [after, limit, only],
        );
        return rows;
      },
      keyOf: (row) => row.orderId,
    }),
  );

  /** For the auditor: the per-type counters beside the inbox's rows per type (two tables, one snapshot). */
  app.get('/admin/event-counts', async (c) => {
    const { rows } = await db.query<{ counters: Record<string, number> | null; inbox: Record<string, number> | null }>(
      `SELECT (SELECT json_object_agg(event_type, count) FROM event_counts) AS counters,
              (SELECT json_object_agg(event_type, n) FROM (SELECT event_type, count(*)::int AS n FROM processed_events GROUP BY 1) t) AS inbox`,
    );
    return c.json({ eventCounts: rows[0]?.counters ?? {}, inboxByType: rows[0]?.inbox ?? {} });
  });
  return app;
}
