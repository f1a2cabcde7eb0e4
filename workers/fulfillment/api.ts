/** The fulfillment service's HTTP API: shipments, for the gateway; a read-only listing for the auditor. */
import { Hono } from 'hono';
import type { FulfillmentStore } from '../../activities/fulfillment/store.js';
import { adminListing } from '../../platform/admin-pages.js';
import { withProblemDefaults } from '../../platform/http.js';
import { rejectNonUuidOrderId } from '../../platform/validation.js';

export function createFulfillmentApi(deps: { store: FulfillmentStore }): Hono {
  const { store } = deps;
  const app = withProblemDefaults(new Hono(), 'fulfillment');

  app.get('/shipments', async (c) => {
    const orderId = c.req.query('orderId');
    if (orderId !== undefined) {
      const invalid = rejectNonUuidOrderId(c, orderId, 'orderId');
      if (invalid) return invalid;
      const shipment = await store.findByOrder(orderId);
      return c.json({ shipments: shipment ? [shipment] : [] });
    }
    return c.json({ shipments: await store.list(50) });
  });

  /** For the auditor (infra/programs/checks/): every shipment's status, paged by order id (platform/admin-pages.ts). */
  app.get(
    '/admin/shipments',
    adminListing({
      name: 'shipments',
      key: 'orderId',
      read: ({ after, limit, only }) => store.shipmentsPage(after, limit, only),
      keyOf: (row) => row.orderId,
    }),
  );

  return app;
}
