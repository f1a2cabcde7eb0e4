/**
 * Who may do what at the edge (gateway/app.ts, docs/security.md), in process against stand-in
 * services: no token is a 401 everywhere but health and the API's description; a customer sees and
 * cancels only their own orders and notifications (another's answer 404, like an id that does not
 * exist); listings across customers are for admins; internal routes never reach a service; the
 * customer an order is for comes from the token.
 */
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { ConfigurationError } from '../../platform/config.js';
import { mintToken, type Role } from '../../platform/identity.js';
import { gatewayOptions, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';
import { validOrderBody } from '../support/fixtures.js';

let standIns: StandIns;
let gateway: ReturnType<typeof createGatewayApp>;
const bearer = async (customerId: string, role: Role = 'customer') => ({
  authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, customerId, role })}`,
});

test.before(async () => {
  standIns = await startStandIns();
  gateway = createGatewayApp(gatewayOptions(standIns));
});
test.after.always(() => standIns.close());

const call = (path: string, init: RequestInit = {}) => gateway.request(`http://gateway.test${path}`, init);

/** One request per route the gateway serves (with ids of an order that exists). */
function everyProtectedRoute(orderId: string): { method: string; path: string; body?: string }[] {
  return [
    { method: 'POST', path: '/orders', body: JSON.stringify(validOrderBody()) },
    { method: 'GET', path: '/orders' },
    { method: 'GET', path: `/orders/${orderId}` },
    { method: 'POST', path: `/orders/${orderId}/cancel`, body: '{}' },
    { method: 'GET', path: `/orders/${orderId}/saga` },
    { method: 'GET', path: '/inventory' },
    { method: 'GET', path: '/shipments' },
    { method: 'GET', path: `/shipments?orderId=${orderId}` },
    { method: 'GET', path: '/analytics/kpis' },
    { method: 'GET', path: '/notifications' },
    { method: 'GET', path: '/orders/ids' },
    { method: 'GET', path: '/orders/summary' },
    { method: 'GET', path: '/admin/orders' },
    { method: 'GET', path: '/nowhere' },
  ];
}

test.serial('the gateway does not start without key material, and says which variable to set', (t) => {
  const error = t.throws(() => createGatewayApp(gatewayOptions(standIns, { GATEWAY_JWT_SECRET: '' })), { instanceOf: ConfigurationError });
  t.true(error?.message.includes('GATEWAY_JWT_SECRET'), error?.message);
  t.deepEqual(error.variables, ['GATEWAY_JWT_SECRET', 'GATEWAY_JWKS_URL']);
  t.throws(() => createGatewayApp(gatewayOptions(standIns, { GATEWAY_JWKS_URL: 'https://idp.example/jwks' })), { message: /both set/ });
});

test.serial(
  'without a token every route but health, /openapi.json and /docs is a 401 with WWW-Authenticate, and reaches no service',
  async (t) => {
    const order = standIns.addOrder('cust-nobody');
    const before = standIns.received.length;
    for (const { method, path, body } of everyProtectedRoute(order.orderId)) {
      const answer = await call(path, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
      t.is(answer.status, 401, `${method} ${path}`);
      t.is(answer.headers.get('content-type'), 'application/problem+json');
      t.is(answer.headers.get('www-authenticate'), 'Bearer realm="ordersaga"', `${method} ${path}`);
    }
    t.is(standIns.received.length, before, 'nothing reached a service');
    for (const path of ['/health', '/health/live', '/health/ready', '/openapi.json', '/docs']) {
      t.is((await call(path)).status, 200, path);
    }
  },
);

test.serial('a token that is not Bearer, forged, expired or for another audience is a 401 invalid_token', async (t) => {
  const forged = await mintToken({ secret: 'another-secret-of-at-least-thirty-two-chars', customerId: 'cust-a' });
  const expired = await mintToken({ secret: TEST_SECRET, customerId: 'cust-a', ttlSeconds: -60 });
  const otherAudience = await mintToken({ secret: TEST_SECRET, customerId: 'cust-a', audience: 'someone-else' });
  for (const authorization of [`Bearer ${forged}`, `Bearer ${expired}`, `Bearer ${otherAudience}`, 'Bearer not.a.jwt']) {
    const answer = await call('/inventory', { headers: { authorization } });
    t.is(answer.status, 401, authorization);
    t.regex(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="ordersaga", error="invalid_token"/);
  }
  const basic = await call('/inventory', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
  t.is(basic.status, 401);
  t.regex(basic.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
  t.is((await call('/inventory', { headers: await bearer('cust-a') })).status, 200);
});

test.serial(
  "a customer's order, saga, cancel, shipment and notifications are 404 to another customer, as for an id that does not exist",
  async (t) => {
    const kims = standIns.addOrder('cust-kim');
    const lee = await bearer('cust-lee');
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const attempts: [string, RequestInit][] = [
      [`/orders/${kims.orderId}`, {}],
      [`/orders/${kims.orderId}/saga`, {}],
      [`/orders/${kims.orderId}/cancel`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }],
      [`/shipments?orderId=${kims.orderId}`, {}],
    ];
    for (const [path, init] of attempts) {
      const answer = await call(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...lee } });
      const body = (await answer.json()) as { detail: string };
      t.is(answer.status, 404, path);
      const unknown = await call(path.replace(kims.orderId, unknownId), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), ...lee },
      });
      t.is(unknown.status, 404);
      t.is(
        body.detail.replace(kims.orderId, unknownId),
        ((await unknown.json()) as { detail: string }).detail,
        'the same answer as for an unknown id',
      );
    }
    t.is(kims.status, 'PENDING', 'the cancel never reached the order service');
    t.false(standIns.received.some((request) => request.url.includes(`${kims.orderId}/cancel`)));
    for (const path of [`/notifications?customerId=cust-kim`, `/orders?customerId=cust-kim`]) {
      t.is((await call(path, { headers: lee })).status, 404, path);
    }

    const kim = await bearer('cust-kim');
    t.like(await (await call(`/orders/${kims.orderId}`, { headers: kim })).json(), { orderId: kims.orderId, customerId: 'cust-kim' });
    t.is((await call(`/orders/${kims.orderId}/saga`, { headers: kim })).status, 200);
    const notifications = (await (await call('/notifications', { headers: kim })).json()) as { notifications: { customerId: string }[] };
    t.true(notifications.notifications.length > 0);
    t.true(notifications.notifications.every((notification) => notification.customerId === 'cust-kim'));
    const cancel = await call(`/orders/${kims.orderId}/cancel`, {
      method: 'POST',
      body: '{"reason":"changed my mind"}',
      headers: { 'content-type': 'application/json', ...kim },
    });
    t.is(cancel.status, 202);
    t.is((await call(`/orders/${kims.orderId}`, { headers: await bearer('ops', 'admin') })).status, 200, 'an admin reads any order');
  },
);

test.serial("a customer's listings are their own, whatever the query asks; an admin names whose", async (t) => {
  standIns.addOrder('cust-park');
  const park = await bearer('cust-park');
  const mine = (await (await call('/orders', { headers: park })).json()) as { orders: { customerId: string }[] };
  t.true(mine.orders.length > 0 && mine.orders.every((order) => order.customerId === 'cust-park'));
  t.true(standIns.received.some((request) => request.service === 'order' && request.url === '/orders?customerId=cust-park'));
  t.is((await call('/orders?customerId=cust-park', { headers: park })).status, 200, 'naming oneself is fine');

  const admin = await bearer('ops', 'admin');
  t.is((await call('/orders?customerId=cust-park', { headers: admin })).status, 200);
  t.is((await call('/orders', { headers: admin })).status, 400, 'an admin must say whose');
});

test.serial('listings of every shipment and the KPIs are for admins', async (t) => {
  const customer = await bearer('cust-a');
  for (const path of ['/shipments', '/analytics/kpis']) {
    const answer = await call(path, { headers: customer });
    t.is(answer.status, 403, path);
    t.like(await answer.json(), { type: 'https://ordersaga.dev/problems/forbidden' });
    t.is((await call(path, { headers: await bearer('ops', 'admin') })).status, 200, path);
  }
});

test.serial('internal routes of the services are not routed at the edge, even for an admin', async (t) => {
  const admin = await bearer('ops', 'admin');
  const before = standIns.received.length;
  for (const path of [
    '/orders/ids',
    '/orders/summary',
    '/admin/orders',
    '/admin/faults',
    '/admin/scenario',
    '/payments/authorize',
    '/reservations',
    '/notifications/stats',
  ]) {
    const answer = await call(path, { headers: admin });
    t.true([400, 404].includes(answer.status), `${path}: ${answer.status}`);
  }
  t.is((await call('/admin/faults', { method: 'PUT', body: '{}', headers: { ...admin, 'content-type': 'application/json' } })).status, 404);
  t.deepEqual(standIns.received.slice(before), [], 'no service saw any of them');
});

test.serial(
  "an order is placed for the token's customer: a body naming another is a 403, a missing customerId is the token's",
  async (t) => {
    const kim = await bearer('cust-kim');
    const headers = { 'content-type': 'application/json', ...kim };
    const other = await call('/orders', { method: 'POST', headers, body: JSON.stringify(validOrderBody({ customerId: 'cust-lee' })) });
    t.is(other.status, 403);
    t.like(await other.json(), { type: 'https://ordersaga.dev/problems/customer-mismatch', errors: [{ pointer: '/customerId' }] });

    const { customerId: _, ...withoutCustomer } = validOrderBody();
    const placed = await call('/orders', {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': 'k-1' },
      body: JSON.stringify(withoutCustomer),
    });
    t.is(placed.status, 202);
    const relayed = standIns.received.filter((request) => request.service === 'order' && request.method === 'POST').at(-1)!;
    t.is((JSON.parse(relayed.body) as { customerId: unknown }).customerId, 'cust-kim');
    t.is(relayed.headers['idempotency-key'], 'k-1', 'the Idempotency-Key reaches the order service, which decides a reuse (422)');
    t.is(
      (await call('/orders', { method: 'POST', headers, body: JSON.stringify(validOrderBody({ customerId: 'cust-kim' })) })).status,
      202,
      'naming oneself is fine',
    );
  },
);
