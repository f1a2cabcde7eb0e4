/**
 * The gateway: the one public edge. It checks who is calling, gives every request an id, validates
 * orders completely before any service sees them (so a bad order never starts a saga), and reads
 * through the services' APIs; it owns no data.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { orderRequestSchema } from '../platform/contracts/order.js';
import { type Environment } from '../platform/config.js';
import { mountHealth } from '../platform/health.js';
import { callService, problem, PROBLEM_CONTENT_TYPE, ServiceCallError, withProblemDefaults } from '../platform/http.js';
import { zodProblem } from '../platform/validation.js';

const CANCEL_TIMEOUT_MS = 20_000;

type Services = Pick<Environment, 'ORDER_URL' | 'INVENTORY_URL' | 'FULFILLMENT_URL' | 'ANALYTICS_URL' | 'NOTIFICATION_URL'>;
export type GatewayOptions = Services & Pick<Environment, 'GATEWAY_API_KEYS' | 'GATEWAY_BODY_LIMIT_BYTES'>;

export function createGatewayApp(options: GatewayOptions): Hono {
  const app = withProblemDefaults(new Hono(), 'gateway');

  app.use(requestId());
  // Liveness and readiness (platform/health.ts): the gateway needs no dependency of its own to be ready.
  mountHealth(app);

  if (options.GATEWAY_API_KEYS.length > 0) {
    app.use(async (c, next) => {
      const key = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
      if (!key || !options.GATEWAY_API_KEYS.includes(key)) {
        return problem(c, { status: 401, title: 'Unauthorized', detail: 'send Authorization: Bearer <api key>' });
      }
      await next();
    });
  }

  /** Relays a downstream answer as it is (status, JSON or problem body); an unreachable service is a 503. */
  async function relay(c: Context, service: string, url: string, init?: RequestInit & { timeoutMs?: number }): Promise<Response> {
    try {
      const answer = await callService(service, url, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), 'x-request-id': c.get('requestId') },
      });
      const location = answer.headers.get('location');
      if (location) c.header('Location', location);
      const contentType = answer.headers.get('content-type') ?? 'application/json';
      return c.body(JSON.stringify(answer.body ?? null), answer.status as 200, {
        'content-type': contentType.startsWith(PROBLEM_CONTENT_TYPE) ? PROBLEM_CONTENT_TYPE : 'application/json',
      });
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      return problem(c, { status: 503, title: 'Service Unavailable', detail: error.message, service });
    }
  }

  app.post(
    '/orders',
    bodyLimit({
      maxSize: options.GATEWAY_BODY_LIMIT_BYTES,
      onError: (c) =>
        problem(c, { status: 413, title: 'Content Too Large', detail: `request bodies are limited to ${options.GATEWAY_BODY_LIMIT_BYTES} bytes` }),
    }),
    async (c) => {
      if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
        return problem(c, { status: 415, title: 'Unsupported Media Type', detail: 'send the order as application/json' });
      }
      let json: unknown;
      try {
        json = await c.req.json();
      } catch (error) {
        return problem(c, {
          status: 400,
          type: 'https://ordersaga.dev/problems/malformed-json',
          title: 'Malformed JSON',
          detail: `the body is not valid JSON: ${(error as Error).message}`,
          errors: [{ pointer: '', detail: 'not valid JSON' }],
        });
      }
      const parsed = orderRequestSchema.safeParse(json);
      if (!parsed.success) return zodProblem(c, parsed.error);

      const unknownSkus = await findUnknownSkus(parsed.data.items.map((item) => item.sku));
      if (unknownSkus instanceof Response) return unknownSkus;
      if (unknownSkus.length > 0) {
        return problem(c, {
          status: 422,
          type: 'https://ordersaga.dev/problems/unknown-sku',
          title: 'Unknown SKU',
          detail: `not in the catalogue: ${unknownSkus.join(', ')}`,
          errors: parsed.data.items
            .map((item, index) => ({ item, index }))
            .filter(({ item }) => unknownSkus.includes(item.sku))
            .map(({ item, index }) => ({ pointer: `/items/${index}/sku`, detail: `unknown SKU ${item.sku}` })),
        });
      }
      const idempotencyKey = c.req.header('idempotency-key');
      return relay(c, 'order', `${options.ORDER_URL}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
        body: JSON.stringify(parsed.data),
      });

      async function findUnknownSkus(skus: string[]): Promise<string[] | Response> {
        try {
          const answer = await callService('inventory', `${options.INVENTORY_URL}/products?sku=${skus.map(encodeURIComponent).join(',')}`);
          if (answer.status !== 200) {
            return problem(c, { status: 503, title: 'Service Unavailable', detail: `inventory answered ${answer.status} to a catalogue lookup`, service: 'inventory' });
          }
          const known = new Set((answer.body as { products: { sku: string }[] }).products.map((product) => product.sku));
          return skus.filter((sku) => !known.has(sku));
        } catch (error) {
          if (!(error instanceof ServiceCallError)) throw error;
          return problem(c, { status: 503, title: 'Service Unavailable', detail: error.message, service: 'inventory' });
        }
      }
    },
  );

  app.get('/orders/:orderId', (c) => relay(c, 'order', `${options.ORDER_URL}/orders/${encodeURIComponent(c.req.param('orderId'))}`));
  app.post('/orders/:orderId/cancel', async (c) => {
    const text = await c.req.text();
    return relay(c, 'order', `${options.ORDER_URL}/orders/${encodeURIComponent(c.req.param('orderId'))}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text || '{}',
      // The answer waits for the saga itself to accept or refuse, which a busy worker can delay.
      timeoutMs: CANCEL_TIMEOUT_MS,
    });
  });
  app.get('/orders/:orderId/saga', (c) => relay(c, 'order', `${options.ORDER_URL}/orders/${encodeURIComponent(c.req.param('orderId'))}/saga`));
  app.get('/orders', (c) => relay(c, 'order', `${options.ORDER_URL}/orders?${new URLSearchParams(c.req.query())}`));

  app.get('/inventory', async (c) => {
    try {
      const answer = await callService('inventory', `${options.INVENTORY_URL}/products`);
      if (answer.status !== 200) return relay(c, 'inventory', `${options.INVENTORY_URL}/products`);
      const { products } = answer.body as { products: { sku: string; name: string; available: number; unitPriceMinor: number; currency: string }[] };
      return c.json({
        items: products.map(({ sku, name, available, unitPriceMinor, currency }) => ({ sku, name, available, unitPriceMinor, currency })),
      });
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      return problem(c, { status: 503, title: 'Service Unavailable', detail: error.message, service: 'inventory' });
    }
  });

  app.get('/shipments', (c) => relay(c, 'fulfillment', `${options.FULFILLMENT_URL}/shipments?${new URLSearchParams(c.req.query())}`));
  app.get('/analytics/kpis', (c) => relay(c, 'analytics', `${options.ANALYTICS_URL}/analytics/kpis`));
  app.get('/notifications', (c) => relay(c, 'notification', `${options.NOTIFICATION_URL}/notifications?${new URLSearchParams(c.req.query())}`));

  return app;
}
