/** The notification service's HTTP API: notifications per customer, and contact preferences. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Database } from '../../platform/db.js';
import { problem, withProblemDefaults } from '../../platform/http.js';
import { zodProblem } from '../../platform/validation.js';
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
      return problem(c, { status: 400, title: 'Bad Request', detail: 'customerId is required', errors: [{ pointer: '/customerId', detail: 'is required' }] });
    }
    if (orderId !== undefined && !z.uuid().safeParse(orderId).success) {
      return problem(c, { status: 400, title: 'Bad Request', detail: 'orderId must be a UUID', errors: [{ pointer: '/orderId', detail: 'must be a UUID' }] });
    }
    return c.json({ notifications: await store.listForCustomer(customerId, orderId, 100) });
  });

  app.get('/notifications/stats', async (c) => c.json(await store.stats(notifiedEventTypes())));

  app.put('/preferences/:customerId', async (c) => {
    const parsed = preferenceSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return zodProblem(c, parsed.error);
    return c.json(await store.setPreference({ customerId: c.req.param('customerId'), ...parsed.data }));
  });

  return app;
}
