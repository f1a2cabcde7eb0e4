/** The inventory service's HTTP API: stock levels for the gateway, admin restock, and read-only listings for the auditor. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { InventoryStore } from '../../activities/inventory/store.js';
import { adminListing } from '../../platform/admin-pages.js';
import { SKU_PATTERN } from '../../platform/contracts/order.js';
import { problem, withProblemDefaults } from '../../platform/http.js';
import { rejectNonUuidOrderId, zodProblem } from '../../platform/validation.js';

export const restockSchema = z.strictObject({
  name: z.string().min(1).max(200),
  unitPriceMinor: z.number().int().min(0),
  quantity: z.number().int().min(0).max(1_000_000),
});

export function createInventoryApi(deps: { store: InventoryStore }): Hono {
  const { store } = deps;
  const app = withProblemDefaults(new Hono(), 'inventory');

  /** All products, or those named by `?sku=A,B`. */
  app.get('/products', async (c) => {
    const skus = c.req.query('sku')?.split(',').filter(Boolean);
    const products = skus ? await store.findProducts(skus) : await store.listProducts();
    return c.json({ products });
  });

  app.put('/admin/products/:sku', async (c) => {
    const sku = c.req.param('sku');
    if (!SKU_PATTERN.test(sku)) {
      return problem(c, {
        status: 400,
        title: 'Bad Request',
        detail: `invalid SKU ${sku}`,
        errors: [{ pointer: '/sku', detail: 'invalid SKU' }],
      });
    }
    const parsed = restockSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return zodProblem(c, parsed.error);
    return c.json(await store.restock({ sku, ...parsed.data }));
  });

  /** Reservations by status: after a quiet period every one is SHIPPED or RELEASED. */
  app.get('/reservations', async (c) => c.json({ byStatus: await store.countReservations() }));

  app.get('/reservations/:orderId', async (c) => {
    const orderId = c.req.param('orderId');
    // A malformed id is the caller's error; a database failure is ours and answers 500, never
    // "no reservation" (a checker once read an outage as a settled order).
    const invalid = rejectNonUuidOrderId(c, orderId);
    if (invalid) return invalid;
    const reservation = await store.findReservation(orderId);
    if (!reservation) return problem(c, { status: 404, title: 'Not Found', detail: 'no reservation for that order' });
    return c.json(reservation);
  });

  /**
   * For the auditor (infra/programs/checks/): per SKU, the `reserved`/`shipped` counters beside the sums of
   * RESERVED and SHIPPED reservation lines, read in one snapshot. Pages by SKU (platform/admin-pages.ts).
   */
  app.get(
    '/admin/stock-reconciliation',
    adminListing({
      name: 'products',
      key: 'sku',
      read: ({ after, limit, only }) => store.stockAgainstLines(after, limit, only),
      keyOf: (row) => row.sku,
    }),
  );

  /** For the auditor: every reservation (tombstones too), paged by order id. */
  app.get(
    '/admin/reservations',
    adminListing({
      name: 'reservations',
      key: 'orderId',
      read: ({ after, limit, only }) => store.reservationsPage(after, limit, only),
      keyOf: (row) => row.orderId,
    }),
  );

  return app;
}
