/** The notification service's HTTP API: notifications per customer, contact preferences, and a read-only listing for the auditor. */
import { Hono } from 'hono';
import { z } from 'zod';
import { pageOf, parsePageQuery } from '../../platform/admin-pages.js';
import type { Database } from '../../platform/db.js';
import { problem, withProblemDefaults } from '../../platform/http.js';
import { rejectNonUuidOrderId, zodProblem } from '../../platform/validation.js';
import type { NotificationStore } from './store.js';
import { notifiedEventTypes } from './templates.js';

const preferenceSchema = z.strictObject({
  channel: z.enum(['email', 'sms', 'push']),
  locale: z.enum(['ko', 'en']),
  recipient: z.string().min(1).max(200),
});

export function createNotificationApi(deps: { db: Database; store: NotificationStore }): Hono {
  const { db, store } = deps;
  const app = withProblemDefaults(new Hono(), 'notification');

  app.get('/notifications', async (c) => {
    const customerId = c.req.query('customerId');
    const orderId = c.req.query('orderId');
    if (!customerId) {
      return problem(c, {
        status: 400,
        title: 'Bad Request',
        detail: 'customerId is required',
        errors: [{ pointer: '/customerId', detail: 'is required' }],
      });
    }
    const invalid = orderId === undefined ? undefined : rejectNonUuidOrderId(c, orderId, 'orderId');
    if (invalid) return invalid;
    return c.json({ notifications: await store.listForCustomer(customerId, orderId, 100) });
  });

  app.get('/notifications/stats', async (c) => c.json(await store.stats(notifiedEventTypes())));

  /**
   * For the auditor (infra/programs/checks/): per order, how many notifications exist of each event type,
   * beside how many customer-facing events of each type were processed (the inbox, another table),
   * paged by order id (platform/admin-pages.ts). Keys compare as "C" text, the order of their bytes.
   */
  app.get('/admin/orders', async (c) => {
    // Keyed by the inbox's subject, which an odd event may have set to something that is not a UUID.
    const page = parsePageQuery(c, 'orderId', { textKeys: true });
    if (!page.ok) return page.response;
    const { after, limit, only } = page.query;
    const customerFacingTypes = notifiedEventTypes();
    const { rows } = await db.query<{ orderId: string; notified: Record<string, number>; processed: Record<string, number> }>(
      `WITH ids AS (
         SELECT id FROM (SELECT subject AS id FROM processed_events WHERE event_type = ANY($4)
                         UNION SELECT order_id::text FROM notifications) u
         WHERE ($1::text IS NULL OR id COLLATE "C" > $1) AND ($3::text[] IS NULL OR id = ANY($3))
         ORDER BY id COLLATE "C" LIMIT $2),
       n AS (SELECT order_id::text AS id, event_type, count(*)::int AS n FROM notifications
             WHERE order_id::text IN (SELECT id FROM ids) GROUP BY 1, 2),
       p AS (SELECT subject AS id, event_type, count(*)::int AS n FROM processed_events
             WHERE event_type = ANY($4) AND subject IN (SELECT id FROM ids) GROUP BY 1, 2)
       SELECT ids.id AS "orderId",
              COALESCE((SELECT json_object_agg(n.event_type, n.n) FROM n WHERE n.id = ids.id), '{}') AS notified,
              COALESCE((SELECT json_object_agg(p.event_type, p.n) FROM p WHERE p.id = ids.id), '{}') AS processed
       FROM ids ORDER BY ids.id COLLATE "C"`,
      [after, limit, only, customerFacingTypes],
    );
    return c.json({ customerFacingTypes, ...pageOf('orders', rows, page.query, (row) => row.orderId) });
  });

  app.put('/preferences/:customerId', async (c) => {
    const parsed = preferenceSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return zodProblem(c, parsed.error);
    return c.json(await store.setPreference({ customerId: c.req.param('customerId'), ...parsed.data }));
  });

  return app;
}
