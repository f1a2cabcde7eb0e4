/**
 * Stand-ins for the services behind the gateway, for the gateway's unit tests: one small HTTP
 * server per service on a random loopback port, answering the routes the gateway relays to the way
 * the real ones do (workers/order/api.ts, workers/inventory/api.ts, …), from a few orders held in
 * memory. Every request they receive is recorded, so a test can show that something never reached
 * a service (an internal route, another customer's order).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayOptions } from '../../gateway/app.js';

export interface StandInOrder {
  orderId: string;
  customerId: string;
  status: string;
}

export interface StandIns {
  urls: Pick<
    GatewayOptions,
    'ORDER_URL' | 'INVENTORY_URL' | 'FULFILLMENT_URL' | 'ANALYTICS_URL' | 'NOTIFICATION_URL' | 'PAYMENT_VAULT_URL'
  >;
  /** Every request received, as `METHOD /path?query` with the service's name first. */
  received: { service: string; method: string; url: string; body: string; headers: IncomingMessage['headers'] }[];
  orders: Map<string, StandInOrder>;
  addOrder(customerId: string): StandInOrder;
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, url: URL, body: string) => { status: number; body?: unknown; problem?: boolean };

const problem = (status: number, detail: string) => ({
  status,
  problem: true,
  body: { type: 'about:blank', title: status === 404 ? 'Not Found' : 'Bad Request', status, detail },
});
const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export const standInCatalogue = ['KB-001', 'MS-002', 'TE-012'];

export async function startStandIns(): Promise<StandIns> {
  const received: StandIns['received'] = [];
  const orders = new Map<string, StandInOrder>();
  const view = (order: StandInOrder) => ({
    ...order,
    items: [{ sku: 'KB-001', quantity: 1 }],
    payment: { channel: 'http', cardLast4: '4242' },
    history: [],
  });

  const order: Handler = (request, url, body) => {
    const parts = url.pathname.split('/').filter(Boolean);
    if (request.method === 'POST' && url.pathname === '/orders') {
      const parsed = JSON.parse(body) as { customerId: string };
      const created = { orderId: randomUUID(), customerId: parsed.customerId, status: 'PENDING' };
      orders.set(created.orderId, created);
      return { status: 202, body: { orderId: created.orderId, status: 'PENDING' } };
    }
    if (request.method === 'GET' && url.pathname === '/orders') {
      const customerId = url.searchParams.get('customerId');
      if (!customerId) return problem(400, 'customerId is required');
      return { status: 200, body: { orders: [...orders.values()].filter((candidate) => candidate.customerId === customerId).map(view) } };
    }
    if (parts[0] === 'orders' && parts[1] !== undefined) {
      if (!isUuid(parts[1])) return problem(400, 'order id must be a UUID');
      const found = orders.get(parts[1]);
      if (!found) return problem(404, `no order ${parts[1]}`);
      if (request.method === 'GET' && parts.length === 2) return { status: 200, body: view(found) };
      if (request.method === 'GET' && parts[2] === 'saga') return { status: 200, body: { orderId: found.orderId, status: found.status } };
      if (request.method === 'POST' && parts[2] === 'cancel') {
        found.status = 'CANCELLED';
        return { status: 202, body: { orderId: found.orderId, accepted: true, status: 'CANCELLED' } };
      }
    }
    return problem(404, `no route for ${request.method} ${url.pathname}`);
  };
  const inventory: Handler = (request, url, body) => {
    // the admin routes the gateway's /operations relay to (platform/faults.ts, workers/inventory/api.ts)
    if (url.pathname === '/admin/faults')
      return { status: 200, body: { faults: body ? (JSON.parse(body) as unknown) : {}, activities: ['reserveStock'] } };
    if (request.method === 'PUT' && url.pathname.startsWith('/admin/products/')) {
      const restock = JSON.parse(body) as { quantity: number };
      return { status: 200, body: { sku: url.pathname.split('/').at(-1), available: 10 + restock.quantity } };
    }
    if (url.pathname !== '/products') return problem(404, 'no route');
    const wanted = url.searchParams.get('sku')?.split(',');
    const products = standInCatalogue
      .filter((sku) => !wanted || wanted.includes(sku))
      .map((sku) => ({ sku, name: `product ${sku}`, available: 10, unitPriceMinor: 1000, currency: 'KRW', reserved: 0 }));
    return { status: 200, body: { products } };
  };
  const fulfillment: Handler = (_request, url) => {
    if (url.pathname !== '/shipments') return problem(404, 'no route');
    const orderId = url.searchParams.get('orderId');
    const all = [...orders.values()].map((candidate) => ({
      shipmentId: `shp_${candidate.orderId}`,
      orderId: candidate.orderId,
      customerId: candidate.customerId,
      status: 'SHIPPED',
      carrier: 'cj-logistics',
      address: 'somewhere',
      lines: [{ sku: 'KB-001', quantity: 1 }],
      estimatedDelivery: '2026-12-03',
      scheduledAt: '2026-12-01T09:00:00.000Z',
      shippedAt: '2026-12-01T09:00:05.000Z',
    }));
    return { status: 200, body: { shipments: orderId ? all.filter((shipment) => shipment.orderId === orderId) : all } };
  };
  const analytics: Handler = (_request, url) =>
    url.pathname === '/analytics/kpis' ? { status: 200, body: { ordersCreated: orders.size } } : problem(404, 'no route');
  /** payment-sim's card vault: a token for a card number, as payment-sim/vault.ts answers. */
  const vault: Handler = (request, url, body) => {
    // payment-sim's scenario routes (payment-sim/http-api.ts), behind the gateway's /operations
    if (url.pathname.startsWith('/admin/scenario'))
      return { status: 200, body: { http: body ? (JSON.parse(body) as unknown) : {}, tcp: {} } };
    if (request.method !== 'POST' || url.pathname !== '/vault/cards') return problem(404, 'no route');
    const given = (JSON.parse(body) as { cardNumber?: unknown }).cardNumber;
    const cardNumber = (typeof given === 'string' || typeof given === 'number' ? String(given) : '').replace(/[\s-]/g, '');
    if (!/^\d{12,19}$/.test(cardNumber)) return problem(400, '/cardNumber: must be 12 to 19 digits');
    return {
      status: 201,
      body: {
        cardToken: `tok_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
        last4: cardNumber.slice(-4),
        brand: 'visa',
        luhnValid: true,
      },
    };
  };
  const notification: Handler = (_request, url) => {
    if (url.pathname !== '/notifications') return problem(404, 'no route');
    const customerId = url.searchParams.get('customerId');
    if (!customerId) return problem(400, 'customerId is required');
    return {
      status: 200,
      body: {
        notifications: [...orders.values()]
          .filter((candidate) => candidate.customerId === customerId)
          .map((candidate) => ({ orderId: candidate.orderId, customerId, recipient: `${customerId}@example.com` })),
      },
    };
  };

  const servers: Server[] = [];
  async function serve(service: string, handler: Handler): Promise<string> {
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ service, method: request.method ?? '', url: request.url ?? '', body, headers: request.headers });
        const url = new URL(request.url ?? '/', 'http://stand-in');
        const answer = handler(request, url, body);
        response.writeHead(answer.status, { 'content-type': answer.problem ? 'application/problem+json' : 'application/json' });
        response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const urls = {
    ORDER_URL: await serve('order', order),
    INVENTORY_URL: await serve('inventory', inventory),
    FULFILLMENT_URL: await serve('fulfillment', fulfillment),
    ANALYTICS_URL: await serve('analytics', analytics),
    NOTIFICATION_URL: await serve('notification', notification),
    PAYMENT_VAULT_URL: await serve('payment-sim', vault),
  };
  return {
    urls,
    received,
    orders,
    addOrder(customerId) {
      const added = { orderId: randomUUID(), customerId, status: 'PENDING' };
      orders.set(added.orderId, added);
      return added;
    },
    close: async () => {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

export const TEST_SECRET = 'test-secret-of-at-least-thirty-two-characters!';

/** Gateway options for a unit test: the stand-ins' URLs and the test secret, no rate limits unless given. */
export function gatewayOptions(standIns: Pick<StandIns, 'urls'>, overrides: Partial<GatewayOptions> = {}): GatewayOptions {
  return {
    // payment-sim answers both its vault and its admin routes on one port
    PAYMENT_HTTP_URL: standIns.urls.PAYMENT_VAULT_URL,
    ...standIns.urls,
    GATEWAY_JWT_SECRET: TEST_SECRET,
    GATEWAY_JWKS_URL: '',
    GATEWAY_JWT_ISSUER: 'ordersaga-local',
    GATEWAY_JWT_AUDIENCE: 'ordersaga-gateway',
    GATEWAY_BODY_LIMIT_BYTES: 4096,
    GATEWAY_CORS_ORIGINS: [],
    GATEWAY_RATE_LIMIT_PER_ADDRESS: 0,
    GATEWAY_RATE_LIMIT_PER_TOKEN: 0,
    GATEWAY_TRUST_FORWARDED_FOR: false,
    GATEWAY_DEV_LOGIN: false,
    GATEWAY_CONSOLE_DIR: '',
    DEPLOYMENT_ENVIRONMENT: 'test',
    TEMPORAL_UI_URL: 'http://localhost:8233',
    TEMPORAL_NAMESPACE: 'default',
    TRACE_UI_URL: '',
    ...overrides,
  };
}
