/** The fulfillment service's HTTP API: shipments, for the gateway. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { FulfillmentStore } from '../../activities/fulfillment/store.js';
import type { Database } from '../../platform/db.js';
import { problem, withProblemDefaults } from '../../platform/http.js';

export function createFulfillmentApi(deps: { db: Database; store: FulfillmentStore }): Hono {
  const { db, store } = deps;
  const app = withProblemDefaults(new Hono(), 'fulfillment');


  app.get('/shipments', async (c) => {
    const orderId = c.req.query('orderId');
    if (orderId !== undefined) {
      if (!z.uuid().safeParse(orderId).success) {
        return problem(c, { status: 400, title: 'Bad Request', detail: 'orderId must be a UUID', errors: [{ pointer: '/orderId', detail: 'must be a UUID' }] });
      }
      const shipment = await store.findByOrder(orderId);
      return c.json({ shipments: shipment ? [shipment] : [] });
    }
    return c.json({ shipments: await store.list(50) });
  });

  return app;
}
