/**
 * The auditor's reading and waiting, against a fake estate (one local HTTP server answering every
 * service's admin listing from memory, two rows per page): it walks every page, looks again while a
 * finding may settle and stops once it has, falls back to per-order payments when the ledger
 * listing is missing, and turns a body outside the contract into an error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { audit } from '../../infra/programs/checks/auditor.js';
import type { Endpoints } from '../../infra/programs/checks/sources.js';
import { reservationSettledPerOrderStatus } from '../../infra/programs/checks/rules/reservations.js';
import { shipmentMatchesOrderStatus } from '../../infra/programs/checks/rules/shipments.js';
import { everyOrderTerminal } from '../../infra/programs/checks/rules/terminal.js';

const PAGE = 2;

interface FakeEstate {
  orders: Record<string, unknown>[];
  reservations: Record<string, unknown>[];
  shipments: Record<string, unknown>[];
  payments: Record<string, unknown>[] | 'no-ledger-listing';
  analytics: unknown;
  requests: string[];
}

function page(name: string, rows: Record<string, unknown>[], key: string, url: URL) {
  const after = url.searchParams.get('after');
  const only = url.searchParams.get('orderId')?.split(',');
  const sorted = rows
    .filter((row) => !only || only.includes(String(row[key])))
    .sort((a, b) => String(a[key]).localeCompare(String(b[key])));
  const rest = after ? sorted.filter((row) => String(row[key]) > after) : sorted;
  const slice = rest.slice(0, PAGE);
  return slice.length === PAGE ? { [name]: slice, next: String(slice.at(-1)![key]) } : { [name]: slice };
}

async function fakeEstate(estate: FakeEstate): Promise<{ endpoints: Endpoints; server: Server }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://fake');
    estate.requests.push(url.pathname);
    const json = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (url.pathname) {
      case '/admin/orders':
        return json(200, { asOf: new Date().toISOString(), ...page('orders', estate.orders, 'orderId', url) });
      case '/analytics/admin/orders':
        return json(200, estate.analytics);
      case '/admin/reservations':
        return json(200, page('reservations', estate.reservations, 'orderId', url));
      case '/admin/shipments':
        return json(200, page('shipments', estate.shipments, 'orderId', url));
      case '/admin/ledger':
        if (estate.payments === 'no-ledger-listing') return json(404, { title: 'Not Found' });
        return json(200, page('payments', estate.payments, 'paymentId', url));
      case '/payments': {
        const payments = estate.payments === 'no-ledger-listing' ? [] : estate.payments;
        return json(200, { payments: payments.filter((payment) => payment.orderId === url.searchParams.get('orderId')) });
      }
      default:
        return json(404, { title: 'Not Found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Analytics is told apart by a path prefix: its /admin/orders is not the order service's.
  return {
    server,
    endpoints: {
      orderUrl: base,
      inventoryUrl: base,
      fulfillmentUrl: base,
      analyticsUrl: `${base}/analytics`,
      notificationUrl: base,
      paymentUrl: base,
    },
  };
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

function completedOrder(index: number, at: string) {
  const orderId = `00000000-0000-4000-8000-00000000000${index}`;
  return {
    order: {
      orderId,
      customerId: 'c',
      status: 'COMPLETED',
      items: [{ sku: 'KB-001', quantity: 1 }],
      amountMinor: 1000,
      currency: 'KRW',
      paymentId: `pay_${index}`,
      acceptedAt: at,
      updatedAt: at,
      history: ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', 'COMPLETED'].map((status) => ({ status, at })),
    },
    reservation: { orderId, status: 'SHIPPED', lines: [{ sku: 'KB-001', quantity: 1 }], createdAt: at },
    shipment: { shipmentId: `shp_${index}`, orderId, status: 'SHIPPED', createdAt: at },
    payment: { paymentId: `pay_${index}`, orderId, status: 'authorized', amountMinor: 1000, currency: 'KRW', channel: 'http' },
  };
}

function estateOf(count: number, at: string): FakeEstate {
  const rows = Array.from({ length: count }, (_, index) => completedOrder(index, at));
  return {
    orders: rows.map((row) => row.order),
    reservations: rows.map((row) => row.reservation),
    shipments: rows.map((row) => row.shipment),
    payments: rows.map((row) => row.payment),
    analytics: { orders: [] },
    requests: [],
  };
}

const settlementRules = ['orders', 'reservations', 'shipments', 'payments'];

test('a whole-estate audit walks every page of every listing, and reads the orders last', async (t) => {
  const estate = estateOf(5, ago(3_600_000));
  const { endpoints, server } = await fakeEstate(estate);
  t.teardown(() => server.close());
  const report = await audit({ endpoints, rules: settlementRules, deadlineMs: 0 });
  t.true(report.ok, JSON.stringify(report.rules.filter((rule) => rule.violations.length || rule.error)));
  t.is(report.orders, 5);
  t.is(report.rules.find((rule) => rule.rule === 'shipments.belongToKnownOrders')!.checked, 5);
  t.is(report.rules.find((rule) => rule.rule === 'payments.liveApprovalsBelongToCompletedOrders')!.checked, 5);
  t.is(estate.requests.filter((path) => path === '/admin/orders').length, 3, 'five orders, two per page');
  t.is(estate.requests.at(-1), '/admin/orders', 'orders are read after everything else');
});

test('a finding about an order that just moved is looked at again, and clears once the estate settles', async (t) => {
  const estate = estateOf(1, ago(1_000));
  estate.reservations = [{ ...(estate.reservations[0] as object), status: 'RESERVED' }];
  const settled = estateOf(1, ago(1_000)).reservations;
  const { endpoints, server } = await fakeEstate(estate);
  t.teardown(() => server.close());
  const report = await audit({
    endpoints,
    rules: settlementRules,
    deadlineMs: 10_000,
    retryIntervalMs: 50,
    onRetry: () => {
      estate.reservations = settled; // the pickup's stock commit lands between two looks
    },
  });
  t.true(report.ok);
  t.is(report.attempts, 2);
});

test('the same finding about an order that finished long ago is final at once', async (t) => {
  const estate = estateOf(1, ago(3_600_000));
  estate.reservations = [{ ...(estate.reservations[0] as object), status: 'RESERVED' }];
  const { endpoints, server } = await fakeEstate(estate);
  t.teardown(() => server.close());
  const report = await audit({ endpoints, rules: settlementRules, deadlineMs: 10_000 });
  t.false(report.ok);
  t.is(report.attempts, 1);
  t.is(report.violationCount, 1);
});

test('without a ledger listing, payments are read per known order and the report says what it cannot see', async (t) => {
  const estate = estateOf(3, ago(3_600_000));
  const payments = estate.payments as Record<string, unknown>[];
  estate.payments = 'no-ledger-listing';
  const { endpoints, server } = await fakeEstate(estate);
  t.teardown(() => server.close());
  const withoutLedger = await audit({ endpoints, rules: ['payments'], deadlineMs: 0 });
  t.false(withoutLedger.ok, 'the fake /payments answers nothing: completed orders without approval');
  t.is(estate.requests.filter((path) => path === '/payments').length, 3);
  t.regex(withoutLedger.rules[0]!.notes.join(), /approvals of unknown orders cannot be seen/);

  estate.payments = payments;
  t.true((await audit({ endpoints, rules: ['payments'], deadlineMs: 0 })).ok);
});

test('a body outside the contract is an error of that service, not an empty listing', async (t) => {
  const estate = estateOf(1, ago(3_600_000));
  estate.analytics = { orders: [{ orderId: 'x', events: 'not a list' }] };
  const { endpoints, server } = await fakeEstate(estate);
  t.teardown(() => server.close());
  const report = await audit({ endpoints, rules: ['analytics.eventsMatchHistories'], deadlineMs: 0 });
  t.false(report.ok);
  t.regex(report.rules[0]!.error ?? '', /^analytics: GET .* answered outside its contract/);
});

test('orders.terminal: a refund after COMPLETED (a lost parcel) is not a second ending; any other second ending is', (t) => {
  const asOf = Date.parse('2026-01-01T12:00:00Z');
  const order = (orderId: string, endings: string[]) => ({
    orderId,
    status: endings.at(-1),
    acceptedAt: '2026-01-01T11:00:00Z',
    history: [{ status: 'PENDING', at: '2026-01-01T11:00:00Z' }, ...endings.map((status) => ({ status, at: '2026-01-01T11:01:00Z' }))],
  });
  const orders = [order('refunded', ['COMPLETED', 'REFUNDED']), order('twice', ['COMPLETED', 'CANCELLED'])];
  const snapshot = { asOf, orders: new Map(orders.map((row) => [row.orderId, row])) };
  const { violations } = everyOrderTerminal.check(snapshot as never, { graceMs: 60_000 });
  t.deepEqual(
    violations.map((violation) => [violation.orderId, violation.message]),
    [['twice', 'order twice (CANCELLED): its history ends more than once: COMPLETED, CANCELLED']],
  );
});

test('shipments.matchOrderStatus: a REFUNDED order has a LOST shipment; a delivered one counts as live for a COMPLETED order', (t) => {
  const asOf = Date.parse('2026-01-01T12:00:00Z');
  const order = (orderId: string, status: string) => ({
    orderId,
    status,
    acceptedAt: '2026-01-01T11:00:00Z',
    history: [{ status, at: '2026-01-01T11:01:00Z' }],
  });
  const orders = [order('delivered', 'COMPLETED'), order('refunded', 'REFUNDED'), order('refunded-unlost', 'REFUNDED')];
  const shipment = (orderId: string, status: string) => ({ shipmentId: `shp_${orderId}`, orderId, status });
  const snapshot = {
    asOf,
    orders: new Map(orders.map((row) => [row.orderId, row])),
    shipments: [shipment('delivered', 'DELIVERED'), shipment('refunded', 'LOST'), shipment('refunded-unlost', 'CANCELLED')],
  };
  const { violations } = shipmentMatchesOrderStatus.check(snapshot as never, { graceMs: 60_000 });
  t.deepEqual(
    violations.map((violation) => violation.orderId),
    ['refunded-unlost'],
  );
  t.regex(violations[0]!.message, /refunded, but no shipment of it was lost/);
});

test('reservations.settledPerOrderStatus: held until the carrier takes the parcel, shipped from then on, also when it was lost and refunded', (t) => {
  const asOf = Date.parse('2026-01-01T12:00:00Z');
  const cases: [orderId: string, orderStatus: string, shipment: string | undefined, reservation: string, expected: string | undefined][] = [
    ['awaiting-pickup', 'COMPLETED', 'SCHEDULED', 'RESERVED', undefined],
    ['committed-by-an-older-saga', 'COMPLETED', 'SCHEDULED', 'SHIPPED', undefined],
    ['delivered', 'COMPLETED', 'DELIVERED', 'SHIPPED', undefined],
    ['picked-up-never-committed', 'COMPLETED', 'SHIPPED', 'RESERVED', 'expected SHIPPED'],
    ['lost-and-refunded', 'REFUNDED', 'LOST', 'SHIPPED', undefined],
    ['refunded-but-released', 'REFUNDED', 'LOST', 'RELEASED', 'expected SHIPPED'],
    ['cancelled-still-holding', 'CANCELLED', 'CANCELLED', 'RESERVED', 'expected RELEASED or none'],
  ];
  const snapshot = {
    asOf,
    orders: new Map(
      cases.map(([orderId, status]) => [
        orderId,
        { orderId, status, acceptedAt: '2026-01-01T11:00:00Z', history: [{ status, at: '2026-01-01T11:01:00Z' }] },
      ]),
    ),
    shipments: cases.flatMap(([orderId, , status]) => (status ? [{ shipmentId: `shp_${orderId}`, orderId, status }] : [])),
    reservations: cases.map(([orderId, , , status]) => ({ orderId, status, lines: [] })),
  };
  const { violations } = reservationSettledPerOrderStatus.check(snapshot as never, { graceMs: 60_000 });
  t.deepEqual(
    violations.map((violation) => [violation.orderId, violation.message.replace(/^.*reservation is \w+, /, '')]),
    cases.filter(([, , , , expected]) => expected).map(([orderId, , , , expected]) => [orderId, expected]),
  );
});
