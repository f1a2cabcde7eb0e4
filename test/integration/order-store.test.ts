/**
 * The order store (activities/order/store.ts) on the real orders database, with fresh order ids.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { OrderStore } from '../../activities/order/store.js';
import { config } from '../../platform/config.js';
import { type Database, openDatabase } from '../../platform/db.js';
import { validOrder } from '../support/fixtures.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let db: Database;
let store: OrderStore;

test.before(() => {
  db = openDatabase(config().ORDER_DATABASE_URL, 'order-store-test');
  store = new OrderStore(db);
});

test.after.always(async () => {
  await db?.end();
});

async function historyRows(orderId: string): Promise<{ status: string }[]> {
  const { rows } = await db.query<{ status: string }>('SELECT status FROM order_status_history WHERE order_id = $1 ORDER BY at', [orderId]);
  return rows;
}

async function orderRowCount(orderId: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM orders WHERE order_id = $1', [orderId]);
  return rows[0]!.count;
}

test('insertPending records the order as PENDING with only the last four card digits', async (t) => {
  const orderId = randomUUID();
  const order = validOrder();
  const acceptedAt = new Date().toISOString();
  await store.insertPending(orderId, order, acceptedAt);
  t.deepEqual(await store.find(orderId), {
    orderId,
    customerId: order.customerId,
    status: 'PENDING',
    paymentChannel: 'http',
    cardLast4: '4242',
    items: order.items,
    shippingAddress: order.shippingAddress,
    amountMinor: null,
    currency: null,
    paymentId: null,
    reason: null,
    acceptedAt,
    history: [{ status: 'PENDING', at: acceptedAt }],
  });
  const { rows } = await db.query<{ card: string }>(`SELECT row_to_json(o)::text AS card FROM orders o WHERE order_id = $1`, [orderId]);
  t.false(rows[0]!.card.includes(order.payment.cardNumber), 'the full card number is never stored');
});

test('insertPending twice gives one row and one history entry, and keeps the first acceptance', async (t) => {
  const orderId = randomUUID();
  const order = validOrder();
  const acceptedAt = new Date(Date.now() - 60_000).toISOString();
  await store.insertPending(orderId, order, acceptedAt);
  await store.insertPending(orderId, { ...order, customerId: 'someone-else' }, new Date().toISOString());
  t.is(await orderRowCount(orderId), 1);
  t.deepEqual(await historyRows(orderId), [{ status: 'PENDING' }]);
  t.like(await store.find(orderId), { customerId: order.customerId, acceptedAt });
});

test('concurrent insertPending of the same order gives one row and one history entry', async (t) => {
  const orderId = randomUUID();
  const order = validOrder();
  const acceptedAt = new Date().toISOString();
  await Promise.all(Array.from({ length: 5 }, () => store.insertPending(orderId, order, acceptedAt)));
  t.is(await orderRowCount(orderId), 1);
  t.deepEqual(await historyRows(orderId), [{ status: 'PENDING' }]);
});

test('recordStatus moves the order and appends each status once, in the order entered', async (t) => {
  const orderId = randomUUID();
  await store.insertPending(orderId, validOrder(), new Date(Date.now() - 1_000).toISOString());

  const reserved = await store.recordStatus(orderId, { status: 'STOCK_RESERVED', amountMinor: 258_000, currency: 'KRW' });
  t.like(reserved, { status: 'STOCK_RESERVED', amountMinor: 258_000, currency: 'KRW' });

  const authorized = await store.recordStatus(orderId, { status: 'PAYMENT_AUTHORIZED', paymentId: 'pay_1' });
  t.like(authorized, { status: 'PAYMENT_AUTHORIZED', amountMinor: 258_000, paymentId: 'pay_1' }, 'earlier facts are kept');

  // A retried activity records the same status again: nothing changes.
  const retried = await store.recordStatus(orderId, { status: 'STOCK_RESERVED', amountMinor: 1, currency: 'USD' });
  t.like(retried, { status: 'PAYMENT_AUTHORIZED', amountMinor: 258_000, currency: 'KRW' });

  const completed = await store.recordStatus(orderId, { status: 'COMPLETED' });
  t.deepEqual(
    completed.history.map((entry) => entry.status),
    ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'COMPLETED'],
  );
  t.is(completed.status, 'COMPLETED');
  t.deepEqual(
    (await historyRows(orderId)).map((row) => row.status),
    ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'COMPLETED'],
  );
});

test('recordStatus keeps the reason of a failure ending', async (t) => {
  const orderId = randomUUID();
  await store.insertPending(orderId, validOrder(), new Date(Date.now() - 1_000).toISOString());
  const failed = await store.recordStatus(orderId, { status: 'FAILED', reason: 'no carrier delivers to postal code 99999' });
  t.like(failed, { status: 'FAILED', reason: 'no carrier delivers to postal code 99999' });
  t.like(failed.history.at(-1), { status: 'FAILED', reason: 'no carrier delivers to postal code 99999' });
  t.false('reason' in failed.history[0]!, 'entries without a reason carry no reason key');
});

test('concurrent recordStatus of the same status appends it once', async (t) => {
  const orderId = randomUUID();
  await store.insertPending(orderId, validOrder(), new Date(Date.now() - 1_000).toISOString());
  const results = await Promise.all(Array.from({ length: 5 }, () => store.recordStatus(orderId, { status: 'STOCK_RESERVED' })));
  for (const result of results) t.is(result.status, 'STOCK_RESERVED');
  t.deepEqual(
    (await historyRows(orderId)).map((row) => row.status),
    ['PENDING', 'STOCK_RESERVED'],
  );
  t.like(await store.find(orderId), { status: 'STOCK_RESERVED' });
});

test('find returns the history oldest first with ISO UTC times', async (t) => {
  const orderId = randomUUID();
  const acceptedAt = new Date(Date.now() - 5_000).toISOString();
  await store.insertPending(orderId, validOrder(), acceptedAt);
  for (const status of ['STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', 'COMPLETED'] as const) {
    await store.recordStatus(orderId, { status });
  }
  const order = await store.find(orderId);
  if (!order) return t.fail('order not found');
  t.regex(order.acceptedAt, ISO_UTC);
  t.is(order.acceptedAt, acceptedAt);
  t.deepEqual(
    order.history.map((entry) => entry.status),
    ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', 'COMPLETED'],
  );
  for (const entry of order.history) t.regex(entry.at, ISO_UTC);
  const times = order.history.map((entry) => Date.parse(entry.at));
  t.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    'times never go backwards',
  );
  t.is(order.history[0]!.at, acceptedAt, 'PENDING is dated when the order was accepted');
});

test('find answers undefined for an order that does not exist', async (t) => {
  t.is(await store.find(randomUUID()), undefined);
});

test('recordStatus for an order that does not exist fails and records nothing', async (t) => {
  const orderId = randomUUID();
  await t.throwsAsync(() => store.recordStatus(orderId, { status: 'COMPLETED' }));
  t.deepEqual(await historyRows(orderId), []);
});

test("listByCustomer lists a customer's orders, newest first, and no one else's", async (t) => {
  const order = validOrder();
  const older = randomUUID();
  const newer = randomUUID();
  await store.insertPending(older, order, new Date(Date.now() - 10_000).toISOString());
  await store.insertPending(newer, order, new Date().toISOString());
  await store.insertPending(randomUUID(), validOrder(), new Date().toISOString());
  const listed = await store.listByCustomer(order.customerId, 50);
  t.deepEqual(
    listed.map((entry) => entry.orderId),
    [newer, older],
  );
  t.deepEqual(
    (await store.listByCustomer(order.customerId, 1)).map((entry) => entry.orderId),
    [newer],
  );
});
