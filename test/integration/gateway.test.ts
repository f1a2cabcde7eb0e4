/**
 * The gateway (gateway/app.ts) in process, in front of the RUNNING services: bad orders are refused
 * with RFC 9457 problems that point at the offending fields, and never reach the order service.
 * Every request is for a customer id of its own, so "no order was created" is checked against
 * the order service without seeing anyone else's orders.
 */
import test, { type ExecutionContext } from 'ava';
import { createGatewayApp, type GatewayOptions } from '../../gateway/app.js';
import { config } from '../../platform/config.js';
import { mintToken } from '../../platform/identity.js';
import { gatewayOptions, TEST_SECRET } from '../support/stand-in-services.js';
import { uniqueSku, validOrderBody } from '../support/fixtures.js';
import { getJson } from '../support/estate.js';

const BODY_LIMIT = 2048;
const CLOSED_PORT_URL = 'http://127.0.0.1:1';

function options(overrides: Partial<GatewayOptions> = {}): GatewayOptions {
  const environment = config();
  const urls = {
    ORDER_URL: environment.ORDER_URL,
    INVENTORY_URL: environment.INVENTORY_URL,
    FULFILLMENT_URL: environment.FULFILLMENT_URL,
    ANALYTICS_URL: environment.ANALYTICS_URL,
    NOTIFICATION_URL: environment.NOTIFICATION_URL,
    PAYMENT_VAULT_URL: environment.PAYMENT_VAULT_URL,
  };
  return gatewayOptions({ urls }, { GATEWAY_BODY_LIMIT_BYTES: BODY_LIMIT, ...overrides });
}

/** `Authorization` for the customer a body names (the gateway takes the customer from the token). */
async function tokenFor(body: unknown): Promise<string> {
  let customerId = 'gateway-anonymous';
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { customerId?: unknown };
    if (typeof parsed?.customerId === 'string' && parsed.customerId) customerId = parsed.customerId;
  } catch {
    // not JSON: any customer will do
  }
  return `Bearer ${await mintToken({ secret: TEST_SECRET, customerId })}`;
}

const gateway = createGatewayApp(options());

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
  service?: string;
}

/** POSTs an order to the gateway; `body` is sent as is when it is a string. */
async function postOrder(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }, app = gateway) {
  const response = await app.request('http://gateway.test/orders', {
    method: 'POST',
    headers: { authorization: await tokenFor(body), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    requestId: response.headers.get('x-request-id'),
    body: (await response.json()) as ProblemBody,
  };
}

/** Asserts a problem response with the status, and (when given) exactly these field pointers. */
function assertProblem(t: ExecutionContext, answer: Awaited<ReturnType<typeof postOrder>>, status: number, pointers?: string[]): void {
  t.is(answer.status, status, JSON.stringify(answer.body));
  t.is(answer.contentType, 'application/problem+json');
  t.is(answer.body.status, status);
  t.truthy(answer.body.title);
  t.truthy(answer.body.type);
  t.truthy(answer.requestId, 'every answer carries a request id');
  if (pointers) t.deepEqual((answer.body.errors ?? []).map((error) => error.pointer).sort(), [...pointers].sort());
}

/** The order service has no orders for this customer. */
async function assertNoOrder(t: ExecutionContext, customerId: string): Promise<void> {
  const { orders } = await getJson<{ orders: unknown[] }>(`${config().ORDER_URL}/orders?${new URLSearchParams({ customerId })}`);
  t.deepEqual(orders, [], `an order was created for ${customerId}`);
}

/** A SKU the running inventory service knows (added with no stock, so no order could ever take it). */
let knownSku: string;

test.before(async () => {
  knownSku = uniqueSku();
  const answer = await fetch(`${config().INVENTORY_URL}/admin/products/${knownSku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'gateway test product', unitPriceMinor: 1_000, quantity: 0 }),
  });
  if (answer.status !== 200) throw new Error(`could not add ${knownSku}: ${answer.status} ${await answer.text()}`);
});

test('malformed JSON is a 400 malformed-json problem', async (t) => {
  const answer = await postOrder('{"customerId": "gateway-malformed", "items": [');
  assertProblem(t, answer, 400, ['']);
  t.is(answer.body.type, 'https://ordersaga.dev/problems/malformed-json');
  await assertNoOrder(t, 'gateway-malformed');
});

test('a body that is not JSON-typed is a 415 problem, even when it is valid JSON', async (t) => {
  const body = validOrderBody({ items: [{ sku: knownSku, quantity: 1 }] });
  const withoutJson: Record<string, string>[] = [
    { 'content-type': 'text/plain' },
    { 'content-type': 'application/x-www-form-urlencoded' },
    {},
  ];
  for (const headers of withoutJson) {
    const answer = await postOrder(body, headers);
    assertProblem(t, answer, 415);
  }
  await assertNoOrder(t, body.customerId);
});

test('application/json with a charset is accepted as JSON', async (t) => {
  const body = { ...validOrderBody(), coupon: 'X' };
  const answer = await postOrder(body, { 'content-type': 'application/json; charset=utf-8' });
  assertProblem(t, answer, 400, ['/coupon']);
});

test('missing fields are a 400 naming each at its pointer', async (t) => {
  const body: Record<string, unknown> = validOrderBody();
  delete body.shippingAddress;
  delete (body.payment as Record<string, unknown>).cardNumber;
  const answer = await postOrder(body);
  assertProblem(t, answer, 400, ['/payment/cardNumber', '/shippingAddress']);
  t.is(answer.body.type, 'https://ordersaga.dev/problems/invalid-request');
  t.true(answer.body.detail?.includes('/shippingAddress'), answer.body.detail);
  await assertNoOrder(t, body.customerId as string);
});

test('unknown fields are a 400 pointing at the field', async (t) => {
  const body = { ...validOrderBody({ items: [{ sku: knownSku, quantity: 1 }] }), coupon: 'FREE' };
  (body.shippingAddress as Record<string, unknown>).floor = 3;
  const answer = await postOrder(body);
  assertProblem(t, answer, 400, ['/coupon', '/shippingAddress/floor']);
  await assertNoOrder(t, body.customerId);
});

test('fields of the wrong type are a 400 pointing at the field', async (t) => {
  const body = validOrderBody({ items: [{ sku: knownSku, quantity: '2' as unknown as number }] });
  (body.payment as Record<string, unknown>).channel = 7;
  const answer = await postOrder(body);
  assertProblem(t, answer, 400, ['/items/0/quantity', '/payment/channel']);
  await assertNoOrder(t, body.customerId);
});

test('zero and negative quantities are a 400 at /items/N/quantity', async (t) => {
  for (const quantity of [0, -3]) {
    const body = validOrderBody({
      items: [
        { sku: knownSku, quantity: 1 },
        { sku: 'KB-001', quantity },
      ],
    });
    const answer = await postOrder(body);
    assertProblem(t, answer, 400, ['/items/1/quantity']);
    await assertNoOrder(t, body.customerId);
  }
});

test('a SKU the catalogue does not have is a 422 naming /items/N/sku', async (t) => {
  const unknown = [uniqueSku(), uniqueSku()];
  const body = validOrderBody({
    items: [
      { sku: unknown[0]!, quantity: 1 },
      { sku: knownSku, quantity: 1 },
      { sku: unknown[1]!, quantity: 2 },
    ],
  });
  const answer = await postOrder(body);
  assertProblem(t, answer, 422, ['/items/0/sku', '/items/2/sku']);
  t.is(answer.body.type, 'https://ordersaga.dev/problems/unknown-sku');
  for (const sku of unknown) t.true(answer.body.detail?.includes(sku), answer.body.detail);
  t.false(answer.body.detail?.includes(knownSku), 'the known SKU is not blamed');
  await assertNoOrder(t, body.customerId);
});

test('a body over GATEWAY_BODY_LIMIT_BYTES is a 413, with or without a Content-Length', async (t) => {
  const body = validOrderBody({ items: [{ sku: knownSku, quantity: 1 }] });
  body.shippingAddress.line1 = 'x'.repeat(BODY_LIMIT);
  const text = JSON.stringify(body);
  const headerSets: Record<string, string>[] = [
    { 'content-type': 'application/json' },
    { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
  ];
  for (const headers of headerSets) {
    const answer = await postOrder(text, headers);
    assertProblem(t, answer, 413);
    t.true(answer.body.detail?.includes(String(BODY_LIMIT)), answer.body.detail);
  }
  await assertNoOrder(t, body.customerId);
});

test('a body of exactly the limit is read; one byte more is refused', async (t) => {
  const body = { ...validOrderBody(), coupon: '' };
  // The limit is in bytes: the Korean address takes three bytes a character.
  body.coupon = 'x'.repeat(BODY_LIMIT - Buffer.byteLength(JSON.stringify(body)));
  t.is(Buffer.byteLength(JSON.stringify(body)), BODY_LIMIT);
  assertProblem(t, await postOrder(body), 400, ['/coupon']);
  body.coupon += 'x';
  assertProblem(t, await postOrder(body), 413);
  await assertNoOrder(t, body.customerId);
});

test('without a valid token a request is a 401; with one, a customer reads their own orders', async (t) => {
  const body = validOrderBody({ items: [{ sku: knownSku, quantity: 1 }] });
  const forged = `Bearer ${await mintToken({ secret: 'not-the-gateway-secret-but-just-as-long!', customerId: body.customerId })}`;
  const withoutValidToken: Record<string, string>[] = [
    { 'content-type': 'application/json', authorization: '' },
    { 'content-type': 'application/json', authorization: forged },
    { 'content-type': 'application/json', authorization: 'key-onex' },
  ];
  for (const headers of withoutValidToken) {
    assertProblem(t, await postOrder(body, headers), 401);
  }
  const unauthenticated = await gateway.request('http://gateway.test/orders');
  t.is(unauthenticated.status, 401);
  t.is(unauthenticated.headers.get('content-type'), 'application/problem+json');

  const authenticated = await gateway.request('http://gateway.test/orders', { headers: { authorization: await tokenFor(body) } });
  t.is(authenticated.status, 200);
  t.deepEqual(await authenticated.json(), { orders: [] });
  t.is((await gateway.request('http://gateway.test/health')).status, 200, 'health stays open for probes');
  await assertNoOrder(t, body.customerId);
});

test('an unreachable inventory service is a 503 naming it, and no order is created', async (t) => {
  const cutOff = createGatewayApp(options({ INVENTORY_URL: CLOSED_PORT_URL }));
  const body = validOrderBody({ items: [{ sku: knownSku, quantity: 1 }] });
  const answer = await postOrder(body, undefined, cutOff);
  assertProblem(t, answer, 503);
  t.is(answer.body.service, 'inventory');
  t.true(answer.body.detail?.includes('the inventory service did not answer'), answer.body.detail);
  t.false(answer.body.detail?.includes(CLOSED_PORT_URL), 'the address stays in the log');
  await assertNoOrder(t, body.customerId);

  const stock = await cutOff.request('http://gateway.test/inventory', { headers: { authorization: await tokenFor(body) } });
  t.is(stock.status, 503);
  t.like(await stock.json(), { status: 503, service: 'inventory' });
});

test('an unreachable order service is a 503 naming it on reads', async (t) => {
  const cutOff = createGatewayApp(options({ ORDER_URL: CLOSED_PORT_URL }));
  const answer = await cutOff.request('http://gateway.test/orders', {
    headers: { authorization: await tokenFor({ customerId: 'nobody' }) },
  });
  t.is(answer.status, 503);
  t.is(answer.headers.get('content-type'), 'application/problem+json');
  t.like(await answer.json(), { status: 503, title: 'Service Unavailable', service: 'order' });
});

test('reads are relayed from the running services', async (t) => {
  const authorization = await tokenFor({ customerId: 'gateway-reader' });
  const stock = await gateway.request('http://gateway.test/inventory', { headers: { authorization } });
  t.is(stock.status, 200);
  const { items } = (await stock.json()) as { items: { sku: string; available: number }[] };
  t.like(
    items.find((item) => item.sku === knownSku),
    { sku: knownSku, available: 0 },
  );

  const badId = await gateway.request('http://gateway.test/orders/not-a-uuid', { headers: { authorization } });
  t.is(badId.status, 400);
  t.is(badId.headers.get('content-type'), 'application/problem+json', 'downstream problems keep their media type');
});

test('an unknown route is a 404 problem, not an HTML page', async (t) => {
  const answer = await gateway.request('http://gateway.test/nowhere', {
    headers: { authorization: await tokenFor({ customerId: 'gateway-reader' }) },
  });
  t.is(answer.status, 404);
  t.is(answer.headers.get('content-type'), 'application/problem+json');
});
