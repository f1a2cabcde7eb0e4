/**
 * The accept path's two steps (docs/saga.md, "Accepting an order"): the order and its saga start
 * commit together, and a saga start that never happened (the process died between the commit and
 * the start) is made by the running order service's sweeper, so the order still reaches its end.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { OrderStore } from '../../activities/order/store.js';
import { config } from '../../platform/config.js';
import { isTerminal, type OrderStatus } from '../../platform/contracts/order.js';
import { type OrderWorkflowInput, workflowIdFor } from '../../platform/contracts/workflow.js';
import { type Database, openDatabase } from '../../platform/db.js';
import { connectClient } from '../../platform/temporal.js';
import { eventually, stockTestProduct, waitForStatus } from '../support/estate.js';
import { validOrder } from '../support/fixtures.js';

let db: Database;
let store: OrderStore;

test.before(() => {
  db = openDatabase(config().ORDER_DATABASE_URL, 'saga-start-recovery-test');
  store = new OrderStore(db);
});
test.after.always(async () => {
  await db?.end();
});

const sagaStartRows = async (orderId: string) =>
  (await db.query<{ count: number }>('SELECT count(*)::int AS count FROM order_saga_starts WHERE order_id = $1', [orderId])).rows[0]!.count;

test('accepting writes the order and its saga start together; accepting it again writes nothing', async (t) => {
  const input: OrderWorkflowInput = {
    orderId: randomUUID(),
    order: validOrder({ items: [{ sku: await stockTestProduct(5), quantity: 1 }] }),
    acceptedAt: new Date().toISOString(),
  };
  t.deepEqual(await store.acceptPending(input), { created: true });
  t.like(await store.find(input.orderId), { status: 'PENDING', history: [{ status: 'PENDING' }] });
  t.is(await sagaStartRows(input.orderId), 1);
  t.deepEqual(await store.acceptPending({ ...input, acceptedAt: new Date().toISOString() }), { created: false });
  t.is(await sagaStartRows(input.orderId), 1);
  // Left as a crash would leave it: the sweeper of the running order service starts its saga.
  await waitForStatus(input.orderId, (status) => isTerminal(status as OrderStatus), 120_000);
  t.is(await sagaStartRows(input.orderId), 0);
});

test('an order whose process died between the commit and the saga start still completes (the sweeper starts it once)', async (t) => {
  t.timeout(150_000);
  const sku = await stockTestProduct(3);
  const input: OrderWorkflowInput = {
    orderId: randomUUID(),
    order: validOrder({ items: [{ sku, quantity: 1 }] }),
    acceptedAt: new Date().toISOString(),
  };
  await store.acceptPending(input); // …and no start: the process "died" here
  const order = await waitForStatus(input.orderId, (status) => isTerminal(status as OrderStatus), 120_000);
  t.is(order.status, 'COMPLETED', JSON.stringify(order));
  await eventually('the saga start to be cleared', async () => ((await sagaStartRows(input.orderId)) === 0 ? true : undefined), 30_000);
  // exactly one saga ran for it
  const temporal = await connectClient();
  try {
    let runs = 0;
    for await (const _ of temporal.workflow.list({ query: `WorkflowId = '${workflowIdFor(input.orderId)}'` })) runs += 1;
    t.is(runs, 1);
  } finally {
    await temporal.connection.close();
  }
});
