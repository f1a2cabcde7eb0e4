/**
 * A lost parcel's refund (activities/order/shipment-loss.ts): the real order store on the orders
 * database and the real HTTP payment line against the simulator in process; the events it
 * publishes are recorded. The orders made here are removed afterwards, so an estate shared with
 * other work never holds a test's REFUNDED order.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import test from 'ava';
import { createShipmentLossActivities, type ShipmentLossActivities } from '../../activities/order/shipment-loss.js';
import { OrderStore } from '../../activities/order/store.js';
import { HttpPaymentGateway } from '../../activities/payment/http-gateway.js';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { config } from '../../platform/config.js';
import { demoCards } from '../../platform/contracts/demo-triggers.js';
import { type Database, openDatabase } from '../../platform/db.js';
import type { EventType } from '../../platform/events/catalog.js';
import type { EventPublisher } from '../../platform/kafka.js';
import { validOrder } from '../support/fixtures.js';
import { vaultCards } from '../support/vaulted-cards.js';

let sim: RunningPaymentSim;
let gateway: HttpPaymentGateway;
let token: (cardNumber: string) => string;
let db: Database;
let store: OrderStore;
let activities: ShipmentLossActivities;
const emitted: { type: EventType; data: Record<string, unknown> }[] = [];
const made: string[] = [];

test.before(async () => {
  sim = await startPaymentSim({ httpPort: 0, tcpPort: 0 });
  gateway = new HttpPaymentGateway({ baseUrl: sim.httpUrl, timeoutMs: 2_000 });
  token = await vaultCards(sim.simulator.vault);
  db = openDatabase(config().ORDER_DATABASE_URL, 'shipment-loss-test');
  store = new OrderStore(db);
  const events = {
    emit: async (type: EventType, data: Record<string, unknown>) => void emitted.push({ type, data }),
  } as unknown as EventPublisher;
  activities = createShipmentLossActivities(store, gateway, events);
});

test.after.always(async () => {
  if (made.length > 0) {
    await db?.query('DELETE FROM order_status_history WHERE order_id = ANY($1)', [made]);
    await db?.query('DELETE FROM orders WHERE order_id = ANY($1)', [made]);
  }
  await db?.end();
  await sim?.close();
});

/** An order as the saga leaves it: paid at the simulator, and COMPLETED (or only as far as `until`). */
async function paidOrder(until: 'PAYMENT_AUTHORIZED' | 'COMPLETED' = 'COMPLETED'): Promise<{ orderId: string; paymentId: string }> {
  const orderId = randomUUID();
  made.push(orderId);
  const order = validOrder();
  await store.insertPending(orderId, order, new Date().toISOString());
  const approval = await gateway.authorize({
    orderId,
    attempt: 1,
    idempotencyKey: `authorize:${orderId}:1`,
    amountMinor: 25_000,
    currency: 'KRW',
    cardToken: token(demoCards.approved),
  });
  if (approval.outcome !== 'approved') throw new Error(`the test card was not approved: ${approval.reason}`);
  await store.recordStatus(orderId, { status: 'STOCK_RESERVED', amountMinor: 25_000, currency: 'KRW' });
  await store.recordStatus(orderId, { status: 'PAYMENT_AUTHORIZED', paymentId: approval.paymentId, amountMinor: 25_000 });
  if (until === 'COMPLETED') {
    await store.recordStatus(orderId, { status: 'SHIPMENT_SCHEDULED' });
    await store.recordStatus(orderId, { status: 'COMPLETED' });
  }
  return { orderId, paymentId: approval.paymentId };
}

const reason = 'the carrier lost the parcel on its way to postal code 44444';

test('a lost parcel refunds the payment at the gateway and moves the order COMPLETED → REFUNDED; a retry changes nothing', async (t) => {
  const { orderId, paymentId } = await paidOrder();
  const input = { orderId, customerId: 'cust-test', shipmentId: `shp_${orderId}`, reason };
  t.is(await activities.orderStatusForShipment({ orderId }), 'COMPLETED', 'what the carrier waits for before pickup');
  await activities.refundLostShipment(input);
  await activities.refundLostShipment(input);

  t.like(sim.simulator.ledger.find(paymentId), { status: 'refunded', cancelReason: reason });
  const order = await store.find(orderId);
  t.is(order?.status, 'REFUNDED');
  t.is(await activities.orderStatusForShipment({ orderId }), 'REFUNDED');
  t.deepEqual(
    order?.history.map((entry) => entry.status),
    ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', 'COMPLETED', 'REFUNDED'],
  );
  const refunds = emitted.filter((event) => event.data.orderId === orderId);
  // Published on each attempt (the same event id, so consumers apply it once): a retry after a crash republishes.
  t.deepEqual(
    refunds.map((event) => event.type),
    ['order.v1.refunded', 'order.v1.refunded'],
  );
  t.like(refunds[0]!.data, { paymentId, channel: 'http', amountMinor: 25_000, currency: 'KRW', reason });
});

test('an order that did not complete is not refunded: a non-retryable failure, and its payment stays as it was', async (t) => {
  const { orderId, paymentId } = await paidOrder('PAYMENT_AUTHORIZED');
  const failure = await t.throwsAsync(
    activities.refundLostShipment({ orderId, customerId: 'cust-test', shipmentId: `shp_${orderId}`, reason }),
    {
      instanceOf: ApplicationFailure,
    },
  );
  t.true(failure?.nonRetryable);
  t.is(failure?.type, 'OrderNotRefundable');
  t.is((await store.find(orderId))?.status, 'PAYMENT_AUTHORIZED');
  t.is(sim.simulator.ledger.find(paymentId)?.status, 'authorized', 'the gateway was never asked');
});

test('an order without a payment is refused at once, before the gateway is asked', async (t) => {
  const orderId = randomUUID();
  made.push(orderId);
  await store.insertPending(orderId, validOrder(), new Date().toISOString());
  const failure = await t.throwsAsync(
    activities.refundLostShipment({ orderId, customerId: 'cust-test', shipmentId: `shp_${orderId}`, reason }),
    { instanceOf: ApplicationFailure },
  );
  t.is(failure?.type, 'OrderNotRefundable');
  t.true(failure?.nonRetryable);
});
