/** The inventory service's HTTP API: stock levels for the gateway, and admin restock. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { InventoryStore } from '../../activities/inventory/store.js';
import { SKU_PATTERN } from '../../platform/contracts/order.js';
import type { Database } from '../../platform/db.js';
import { problem, withProblemDefaults } from '../../platform/http.js';
import { zodProblem } from '../../platform/validation.js';

export const restockSchema = z.strictObject({
  name: z.string().min(1).max(200),
  unitPriceMinor: z.number().int().min(0),
  quantity: z.number().int().min(0).max(1_000_000),
});

export function createInventoryApi(deps: { db: Database; store: InventoryStore }): Hono {
  const { db, store } = deps;
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
      return problem(c, { status: 400, title: 'Bad Request', detail: `invalid SKU ${sku}`, errors: [{ pointer: '/sku', detail: 'invalid SKU' }] });
    }
    const parsed = restockSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return zodProblem(c, parsed.error);
    return c.json(await store.restock({ sku, ...parsed.data }));
  });

  /** Reservations by status: after a quiet period every one is SHIPPED or RELEASED. */
  app.get('/reservations', async (c) => c.json({ byStatus: await store.countReservations() }));

  app.get('/reservations/:orderId', async (c) => {
    const reservation = await store.findReservation(c.req.param('orderId')).catch(() => undefined);
    if (!reservation) return problem(c, { status: 404, title: 'Not Found', detail: 'no reservation for that order' });
    return c.json(reservation);
  });

  return app;
}
