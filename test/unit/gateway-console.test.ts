/**
 * What the gateway adds for the web console (docs/console.md), in process against stand-in
 * services: the built console's files with their cache headers under the security headers; the
 * dev login, closed unless asked for and refused where it would be dangerous; the live order feed,
 * which gives a customer only their own orders' events and an admin everyone's; and the admins'
 * operations, which a customer cannot reach.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { OrderEventFeed } from '../../gateway/live-orders.js';
import type { DeadLetterDesk } from '../../gateway/operations.js';
import { ConfigurationError } from '../../platform/config.js';
import { buildEvent } from '../../platform/events/envelope.js';
import { mintToken, type Role } from '../../platform/identity.js';
import { gatewayOptions, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';

let standIns: StandIns;
let consoleDirectory: string;
test.before(async () => {
  standIns = await startStandIns();
  consoleDirectory = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(consoleDirectory, 'assets'));
  writeFileSync(join(consoleDirectory, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(join(consoleDirectory, 'assets', 'index-abc123.js'), 'console.log("console")');
});
test.after.always(async () => {
  await standIns.close();
  rmSync(consoleDirectory, { recursive: true, force: true });
});

const bearer = async (customerId: string, role: Role = 'customer') => ({
  authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, customerId, role })}`,
});
const at = (path: string) => `http://gateway.test${path}`;

test('the console is served at / without a token: the page revalidated, hashed assets cached for a year, under the CSP', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns, { GATEWAY_CONSOLE_DIR: consoleDirectory }));
  const page = await gateway.request(at('/'));
  t.is(page.status, 200);
  t.is(page.headers.get('cache-control'), 'no-cache');
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  t.regex(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.regex(await page.text(), /index-abc123\.js/);

  const script = await gateway.request(at('/assets/index-abc123.js'));
  t.is(script.status, 200);
  t.is(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.regex(script.headers.get('content-type') ?? '', /^text\/javascript/);

  for (const path of ['/assets/missing-1.js', '/assets/..%2Findex.html', '/assets/.hidden.js', '/assets/index-abc123.exe']) {
    t.is((await gateway.request(at(path))).status, 404, path);
  }
  const settings = (await (await gateway.request(at('/console/config.json'))).json()) as Record<string, unknown>;
  t.deepEqual(settings, {
    devLogin: false,
    workflowUrl: 'http://localhost:8233/namespaces/default/workflows/order-{orderId}',
    traceUiUrl: '',
  });
});

test('a gateway whose console is not built answers / with a 503 that says how to build it', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns, { GATEWAY_CONSOLE_DIR: join(consoleDirectory, 'nowhere') }));
  const answer = await gateway.request(at('/'));
  t.is(answer.status, 503);
  t.regex(((await answer.json()) as { detail: string }).detail, /console:build/);
});

test('the dev login is closed by default: no route, no token', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns));
  const answer = await gateway.request(at('/dev/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'cust-kim' }),
  });
  t.is(answer.status, 404);
  const document = (await (await gateway.request(at('/openapi.json'))).json()) as { paths: Record<string, unknown> };
  t.false('/dev/login' in document.paths);
});

test('the dev login, when open, mints a token the gateway accepts, with the role asked for', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns, { GATEWAY_DEV_LOGIN: true }));
  const login = async (body: unknown) =>
    gateway.request(at('/dev/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const customer = (await (await login({ customerId: 'cust-kim' })).json()) as { token: string; expiresIn: number };
  t.is(customer.expiresIn, 3600);
  t.is((await gateway.request(at('/inventory'), { headers: { authorization: `Bearer ${customer.token}` } })).status, 200);
  t.is((await gateway.request(at('/analytics/kpis'), { headers: { authorization: `Bearer ${customer.token}` } })).status, 403);
  const admin = (await (await login({ customerId: 'ops', role: 'admin' })).json()) as { token: string };
  t.is((await gateway.request(at('/analytics/kpis'), { headers: { authorization: `Bearer ${admin.token}` } })).status, 200);
  t.is((await login({ customerId: '', role: 'root' })).status, 400);
  t.true(((await (await gateway.request(at('/console/config.json'))).json()) as { devLogin: boolean }).devLogin);
});

test('the dev login refuses to open behind an identity provider or in production', (t) => {
  const withJwks = gatewayOptions(standIns, {
    GATEWAY_DEV_LOGIN: true,
    GATEWAY_JWT_SECRET: '',
    GATEWAY_JWKS_URL: 'https://idp.example/jwks',
  });
  t.throws(() => createGatewayApp(withJwks), { instanceOf: ConfigurationError, message: /GATEWAY_JWT_SECRET/ });
  for (const environment of ['prod', 'production', 'PROD']) {
    const error = t.throws(
      () => createGatewayApp(gatewayOptions(standIns, { GATEWAY_DEV_LOGIN: true, DEPLOYMENT_ENVIRONMENT: environment })),
      {
        instanceOf: ConfigurationError,
      },
    );
    t.deepEqual(error.variables, ['GATEWAY_DEV_LOGIN', 'DEPLOYMENT_ENVIRONMENT']);
  }
});

/** Reads a server-sent-event stream until `until` says stop; the events as `{ event, data }`. */
async function readEvents(
  answer: Response,
  until: (events: { event: string; data: string }[]) => boolean,
): Promise<{ event: string; data: string }[]> {
  const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { event: string; data: string }[] = [];
  let buffer = '';
  const deadline = setTimeout(() => void reader.cancel(), 5000);
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        const data = field('data');
        if (data !== undefined) events.push({ event: field('event') ?? 'message', data });
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel();
  }
  return events;
}

const created = (orderId: string, customerId: string) =>
  buildEvent({
    type: 'order.v1.created',
    source: 'test',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    data: {
      orderId,
      customerId,
      items: [{ sku: 'KB-001', quantity: 1 }],
      paymentChannel: 'http',
      shippingCountry: 'KR',
      acceptedAt: new Date().toISOString(),
    },
  });

test('the live feed streams a customer their own orders only, and an admin every order, with the trace id', async (t) => {
  const feed = new OrderEventFeed();
  const gateway = createGatewayApp(gatewayOptions(standIns, { feed }));
  t.is((await gateway.request(at('/live/orders'))).status, 401);
  const kimStream = await gateway.request(at('/live/orders'), { headers: await bearer('cust-kim') });
  const adminStream = await gateway.request(at('/live/orders'), { headers: await bearer('ops', 'admin') });
  t.is(kimStream.status, 200);
  t.regex(kimStream.headers.get('content-type') ?? '', /^text\/event-stream/);
  const kimOrder = '11111111-1111-4111-8111-111111111111';
  const leeOrder = '22222222-2222-4222-8222-222222222222';
  const kimEvents = readEvents(kimStream, (events) => events.some((event) => event.data.includes(kimOrder)));
  const adminEvents = readEvents(adminStream, (events) => events.filter((event) => event.event === 'order').length >= 2);
  feed.sourceReading();
  // Both streams subscribe when their reading starts; publish once they have.
  const deadline = Date.now() + 5000;
  while (feed.streams < 2 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  t.is(feed.streams, 2);
  feed.publish(created(leeOrder, 'cust-lee'));
  feed.publish(created(kimOrder, 'cust-kim'));

  const kim = await kimEvents;
  t.is(kim[0]?.event, 'ready');
  const kimOrders = kim
    .filter((event) => event.event === 'order')
    .map((event) => JSON.parse(event.data) as { orderId: string; traceId: string });
  t.deepEqual(
    kimOrders.map((event) => event.orderId),
    [kimOrder],
    "cust-lee's order never reaches cust-kim",
  );
  t.is(kimOrders[0]?.traceId, '0af7651916cd43dd8448eb211c80319c');
  t.is((kimOrders[0] as unknown as { status: string }).status, 'PENDING');
  const admin = (await adminEvents)
    .filter((event) => event.event === 'order')
    .map((event) => (JSON.parse(event.data) as { orderId: string }).orderId);
  t.deepEqual(admin, [leeOrder, kimOrder]);
});

test('operations are for admins: a customer gets 403 and nothing reaches a service; an admin sets the decline rate and restocks', async (t) => {
  const replays: unknown[] = [];
  const deadLetters: DeadLetterDesk = {
    list: () => Promise.resolve({ deadLetters: [], unreadable: [] }),
    replay: (selection) => {
      replays.push(selection);
      return Promise.resolve({ dryRun: selection.dryRun, read: 0, replayed: [], skipped: [] });
    },
  };
  const gateway = createGatewayApp(gatewayOptions(standIns, { deadLetters }));
  const before = standIns.received.length;
  const customer = await bearer('cust-kim');
  const put = (headers: Record<string, string>, path: string, body: unknown) =>
    gateway.request(at(path), { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.is((await put(customer, '/operations/payment-scenarios/http', { declineRate: 1 })).status, 403);
  t.is((await gateway.request(at('/operations/dead-letters'), { headers: customer })).status, 403);
  t.is(standIns.received.length, before, 'nothing reached a service');

  const admin = await bearer('ops', 'admin');
  const scenario = await put(admin, '/operations/payment-scenarios/http', { declineRate: 1 });
  t.is(scenario.status, 200);
  const relayed = standIns.received.at(-1)!;
  t.is(`${relayed.service} ${relayed.method} ${relayed.url}`, 'payment-sim PUT /admin/scenario/http');
  t.deepEqual(JSON.parse(relayed.body), { declineRate: 1 });
  t.is((await put(admin, '/operations/payment-scenarios/card', { declineRate: 1 })).status, 400);

  const restock = await gateway.request(at('/operations/stock/KB-001/restock'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ quantity: 5 }),
  });
  t.is(restock.status, 200);
  const restocked = standIns.received.at(-1)!;
  t.is(`${restocked.method} ${restocked.url}`, 'PUT /admin/products/KB-001');
  t.deepEqual(JSON.parse(restocked.body), { name: 'product KB-001', unitPriceMinor: 1000, quantity: 5 });
  const unknown = await gateway.request(at('/operations/stock/NO-SUCH/restock'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ quantity: 5 }),
  });
  t.is(unknown.status, 404);

  const faults = await put(admin, '/operations/faults/inventory', { reserveStock: { latencyMs: 100 } });
  t.is(faults.status, 200);
  t.is(standIns.received.at(-1)!.url, '/admin/faults');
  t.is((await put(admin, '/operations/faults/payment', {})).status, 400);

  const replay = await gateway.request(at('/operations/dead-letters/replay'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ consumerGroup: 'analytics', dryRun: true }),
  });
  t.is(replay.status, 200);
  t.deepEqual(replays, [{ consumerGroup: 'analytics', dryRun: true }]);
});
