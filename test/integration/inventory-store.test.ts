/**
 * The inventory store (activities/inventory/store.ts) on the real inventory database. Every test
 * stocks its own unique SKUs and uses fresh order ids, so it sees no one else's stock.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { InventoryStore, type Product } from '../../activities/inventory/store.js';
import { config } from '../../platform/config.js';
import { type Database, openDatabase } from '../../platform/db.js';
import { uniqueSku } from '../support/fixtures.js';
import { eventually } from '../support/estate.js';

let db: Database;
let store: InventoryStore;

test.before(() => {
  db = openDatabase(config().INVENTORY_DATABASE_URL, 'inventory-store-test');
  store = new InventoryStore(db);
});

test.after.always(async () => {
  await db?.end();
});

async function stocked(quantity: number, unitPriceMinor = 10_000): Promise<string> {
  const sku = uniqueSku();
  await store.restock({ sku, name: `test product ${sku}`, unitPriceMinor, quantity });
  return sku;
}

async function levels(sku: string): Promise<Pick<Product, 'available' | 'reserved' | 'shipped'>> {
  const [product] = await store.findProducts([sku]);
  if (!product) throw new Error(`no product ${sku}`);
  return { available: product.available, reserved: product.reserved, shipped: product.shipped };
}

test('restock adds a new product and then tops it up, updating name and price', async (t) => {
  const sku = uniqueSku();
  const created = await store.restock({ sku, name: 'first name', unitPriceMinor: 1_000, quantity: 5 });
  t.like(created, { sku, name: 'first name', unitPriceMinor: 1_000, currency: 'KRW', available: 5, reserved: 0, shipped: 0 });
  const toppedUp = await store.restock({ sku, name: 'second name', unitPriceMinor: 1_500, quantity: 7 });
  t.like(toppedUp, { sku, name: 'second name', unitPriceMinor: 1_500, available: 12, reserved: 0, shipped: 0 });
  t.is(typeof toppedUp.unitPriceMinor, 'number', 'bigint prices come back as numbers');
});

test('reserve moves stock from available to reserved and prices the lines', async (t) => {
  const keyboard = await stocked(10, 129_000);
  const mouse = await stocked(5, 39_000);
  const orderId = randomUUID();
  const result = await store.reserve(orderId, [
    { sku: keyboard, quantity: 2 },
    { sku: mouse, quantity: 1 },
  ]);
  t.deepEqual(result, {
    outcome: 'reserved',
    reservation: {
      orderId,
      status: 'RESERVED',
      lines: [
        { sku: keyboard, quantity: 2, unitPriceMinor: 129_000 },
        { sku: mouse, quantity: 1, unitPriceMinor: 39_000 },
      ],
      totalMinor: 297_000,
      currency: 'KRW',
    },
  });
  t.deepEqual(await levels(keyboard), { available: 8, reserved: 2, shipped: 0 });
  t.deepEqual(await levels(mouse), { available: 4, reserved: 1, shipped: 0 });
  t.deepEqual(await store.findReservation(orderId), result.outcome === 'reserved' ? result.reservation : undefined);
});

test('reserving again for the same order returns the same reservation and takes no more stock', async (t) => {
  const sku = await stocked(10);
  const orderId = randomUUID();
  const first = await store.reserve(orderId, [{ sku, quantity: 3 }]);
  const again = await store.reserve(orderId, [{ sku, quantity: 3 }]);
  t.deepEqual(again, first);
  t.deepEqual(await levels(sku), { available: 7, reserved: 3, shipped: 0 });
});

test('a short line rejects the whole order and changes nothing', async (t) => {
  const plenty = await stocked(10);
  const scarce = await stocked(1);
  const orderId = randomUUID();
  const result = await store.reserve(orderId, [
    { sku: plenty, quantity: 4 },
    { sku: scarce, quantity: 2 },
  ]);
  t.deepEqual(result, {
    outcome: 'rejected',
    reasonCode: 'INSUFFICIENT_STOCK',
    reason: `insufficient stock for ${scarce}`,
    shortages: [{ sku: scarce, requested: 2, available: 1 }],
  });
  t.deepEqual(await levels(plenty), { available: 10, reserved: 0, shipped: 0 }, 'the line that fitted was not reserved');
  t.deepEqual(await levels(scarce), { available: 1, reserved: 0, shipped: 0 });
  t.is(await store.findReservation(orderId), undefined);
});

test('an unknown SKU rejects the order, naming the SKU', async (t) => {
  const known = await stocked(10);
  const unknown = uniqueSku();
  const orderId = randomUUID();
  const result = await store.reserve(orderId, [
    { sku: known, quantity: 1 },
    { sku: unknown, quantity: 1 },
  ]);
  t.deepEqual(result, {
    outcome: 'rejected',
    reasonCode: 'UNKNOWN_PRODUCT',
    reason: `unknown SKU ${unknown}`,
    shortages: [{ sku: unknown, requested: 1, available: 0 }],
  });
  t.deepEqual(await levels(known), { available: 10, reserved: 0, shipped: 0 });
  t.is(await store.findReservation(orderId), undefined);
});

test('a rejected order can be reserved later, once there is stock', async (t) => {
  const sku = await stocked(1);
  const orderId = randomUUID();
  t.is((await store.reserve(orderId, [{ sku, quantity: 3 }])).outcome, 'rejected');
  await store.restock({ sku, name: 'restocked', unitPriceMinor: 10_000, quantity: 2 });
  t.is((await store.reserve(orderId, [{ sku, quantity: 3 }])).outcome, 'reserved');
  t.deepEqual(await levels(sku), { available: 0, reserved: 3, shipped: 0 });
});

test('release returns the stock once; releasing again changes nothing', async (t) => {
  const sku = await stocked(10);
  const orderId = randomUUID();
  await store.reserve(orderId, [{ sku, quantity: 4 }]);
  const released = await store.release(orderId, 'payment declined');
  t.like(released, { orderId, status: 'RELEASED' });
  t.deepEqual(await levels(sku), { available: 10, reserved: 0, shipped: 0 });

  const again = await store.release(orderId, 'payment declined');
  t.like(again, { orderId, status: 'RELEASED' });
  t.deepEqual(await levels(sku), { available: 10, reserved: 0, shipped: 0 }, 'no double release');
  t.like(await store.findReservation(orderId), { status: 'RELEASED' });
});

test('releasing an order that reserved nothing moves no stock and leaves a tombstone; a later reserve refuses', async (t) => {
  const sku = await stocked(10);
  const orderId = randomUUID();
  const tombstone = await store.release(orderId, 'cancelled by the customer');
  t.like(tombstone, { orderId, status: 'RELEASED', lines: [], totalMinor: 0 });
  t.regex(tombstone?.reason ?? '', /released before any stock was reserved: cancelled by the customer/);
  const late = await store.reserve(orderId, [{ sku, quantity: 4 }]);
  t.like(late, { outcome: 'rejected', reasonCode: 'ORDER_ALREADY_RELEASED', shortages: [] });
  t.regex(late.outcome === 'rejected' ? late.reason : '', /released before this reservation/);
  t.deepEqual(await levels(sku), { available: 10, reserved: 0, shipped: 0 });
});

test('a released order is not reserved again by a retried reserve', async (t) => {
  const sku = await stocked(10);
  const orderId = randomUUID();
  await store.reserve(orderId, [{ sku, quantity: 4 }]);
  await store.release(orderId, 'cancelled');
  const retried = await store.reserve(orderId, [{ sku, quantity: 4 }]);
  t.is(retried.outcome, 'rejected');
  t.deepEqual(await levels(sku), { available: 10, reserved: 0, shipped: 0 });
});

/** Sessions of the inventory database waiting on a lock, whose query matches `pattern`. */
async function waitingOnLock(pattern: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
    [pattern],
  );
  return rows[0]!.count;
}

test('a release that arrives while the reserve is held open waits for it and then releases: no stock leaks', async (t) => {
  const sku = await stocked(10);
  const orderId = randomUUID();
  // Hold the reserve open inside its transaction: another session locks the product row it needs.
  const holder = await db.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT sku FROM products WHERE sku = $1 FOR UPDATE', [sku]);
    const reserving = store.reserve(orderId, [{ sku, quantity: 3 }]);
    await eventually(
      'the reserve blocked on the product row',
      async () => ((await waitingOnLock('%FOR UPDATE%')) > 0 ? true : undefined),
      10_000,
      20,
    );
    const releasing = store.release(orderId, 'cancelled while reserving');
    // The release must queue behind the reserve (the order's lock), not decide on what it sees now.
    await eventually(
      'the release queued behind the reserve',
      async () => ((await waitingOnLock('%pg_advisory_xact_lock%')) > 0 ? true : undefined),
      10_000,
      20,
    );
    await holder.query('COMMIT');
    const [reserved, released] = await Promise.all([reserving, releasing]);
    t.is(reserved.outcome, 'reserved');
    t.like(released, { status: 'RELEASED', totalMinor: 30_000 });
  } finally {
    holder.release();
  }
  t.deepEqual(await levels(sku), { available: 10, reserved: 0, shipped: 0 });
  t.like(await store.findReservation(orderId), { status: 'RELEASED' });
});

test('reserve and release racing in any order never end with stock reserved', async (t) => {
  const sku = await stocked(1_000);
  const orders = Array.from({ length: 40 }, () => randomUUID());
  await Promise.all(
    orders.map((orderId, index) => {
      const reserve = () => store.reserve(orderId, [{ sku, quantity: 2 }]);
      const release = () => store.release(orderId, 'race');
      return index % 2 === 0 ? Promise.all([reserve(), release()]) : Promise.all([release(), reserve()]);
    }),
  );
  const statuses = await Promise.all(orders.map(async (orderId) => (await store.findReservation(orderId))?.status));
  t.deepEqual(
    statuses.filter((status) => status !== 'RELEASED'),
    [],
    'every released order ends released',
  );
  t.deepEqual(await levels(sku), { available: 1_000, reserved: 0, shipped: 0 });
});

test('commit moves reserved stock to shipped, once; a committed order cannot be released', async (t) => {
  const sku = await stocked(10);
  const orderId = randomUUID();
  await store.reserve(orderId, [{ sku, quantity: 3 }]);
  t.like(await store.commit(orderId), { status: 'SHIPPED' });
  t.deepEqual(await levels(sku), { available: 7, reserved: 0, shipped: 3 });
  t.like(await store.commit(orderId), { status: 'SHIPPED' });
  t.like(await store.release(orderId, 'too late'), { status: 'SHIPPED' });
  t.deepEqual(await levels(sku), { available: 7, reserved: 0, shipped: 3 }, 'neither a second commit nor a release moved stock');
});

test('concurrent reservations never oversell and conserve stock', async (t) => {
  const sku = await stocked(10);
  const orderIds = Array.from({ length: 20 }, () => randomUUID());
  const results = await Promise.all(orderIds.map((orderId) => store.reserve(orderId, [{ sku, quantity: 1 }])));
  const reserved = results.filter((result) => result.outcome === 'reserved');
  const rejected = results.filter((result) => result.outcome === 'rejected');
  t.is(reserved.length, 10);
  t.is(rejected.length, 10);
  for (const result of rejected) {
    t.deepEqual(result, {
      outcome: 'rejected',
      reasonCode: 'INSUFFICIENT_STOCK',
      reason: `insufficient stock for ${sku}`,
      shortages: [{ sku, requested: 1, available: 0 }],
    });
  }
  t.deepEqual(await levels(sku), { available: 0, reserved: 10, shipped: 0 });

  // Settle half each way, concurrently: stock is still conserved.
  const reservedOrders = orderIds.filter((_, index) => results[index]!.outcome === 'reserved');
  await Promise.all(reservedOrders.map((orderId, index) => (index % 2 === 0 ? store.commit(orderId) : store.release(orderId, 'test'))));
  const after = await levels(sku);
  t.deepEqual(after, { available: 5, reserved: 0, shipped: 5 });
  t.is(after.available + after.reserved + after.shipped, 10);
});

test('concurrent orders over two shared SKUs in opposite line order neither deadlock nor oversell', async (t) => {
  const first = await stocked(15);
  const second = await stocked(15);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, index) =>
      store.reserve(
        randomUUID(),
        index % 2 === 0
          ? [
              { sku: first, quantity: 1 },
              { sku: second, quantity: 1 },
            ]
          : [
              { sku: second, quantity: 1 },
              { sku: first, quantity: 1 },
            ],
      ),
    ),
  );
  t.is(results.filter((result) => result.outcome === 'reserved').length, 15);
  t.deepEqual(await levels(first), { available: 0, reserved: 15, shipped: 0 });
  t.deepEqual(await levels(second), { available: 0, reserved: 15, shipped: 0 });
});

test('concurrent reserves of the same order take its stock only once', async (t) => {
  const sku = await stocked(10);
  const orderId = randomUUID();
  const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => store.reserve(orderId, [{ sku, quantity: 2 }])));
  const stored = await store.findReservation(orderId);
  t.like(stored, { orderId, status: 'RESERVED', lines: [{ sku, quantity: 2 }] });
  const succeeded = attempts.filter((attempt) => attempt.status === 'fulfilled');
  t.true(succeeded.length >= 1);
  for (const attempt of succeeded) t.deepEqual(attempt.value, { outcome: 'reserved', reservation: stored! });
  t.deepEqual(await levels(sku), { available: 8, reserved: 2, shipped: 0 });
});
