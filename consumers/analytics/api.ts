/** The analytics service's HTTP API. */
import { Hono } from 'hono';
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
  return app;
}
