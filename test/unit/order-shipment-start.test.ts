/**
 * Recording COMPLETED starts the shipment's run (activities/order/activities.ts), and nothing else
 * does: ShipmentWorkflowV2 never asks whether the saga completed, so being started only then is what
 * keeps the carrier from taking the parcel of an order that failed. A start that fails fails the
 * step, which the saga retries until done, so a completed order always gets its run.
 */
import test from 'ava';
import { createOrderActivities } from '../../activities/order/activities.js';
import type { OrderRecord, OrderStore } from '../../activities/order/store.js';
import type { ShipmentWorkflowInput } from '../../platform/contracts/shipment.js';
import type { OrderTransition } from '../../platform/contracts/workflow.js';
import type { EventPublisher } from '../../platform/kafka.js';

const clock = { pickupAfterMs: 5000, transitMs: 10_000 };

function orderActivities(start: (input: ShipmentWorkflowInput) => Promise<void>) {
  const emitted: string[] = [];
  const store = {
    recordStatus: async (orderId: string, change: { status: OrderRecord['status'] }): Promise<OrderRecord> => ({
      orderId,
      customerId: 'cust-kim',
      status: change.status,
      paymentChannel: 'http',
      cardLast4: '4242',
      items: [{ sku: 'KB-001', quantity: 1 }],
      shippingAddress: { city: '서울', postalCode: '06236', country: 'KR' } as OrderRecord['shippingAddress'],
      amountMinor: 1000,
      currency: 'KRW',
      paymentId: 'pay-1',
      reason: null,
      acceptedAt: new Date().toISOString(),
      history: [],
    }),
  } as unknown as OrderStore;
  const events = { emit: async (type: string) => void emitted.push(type) } as unknown as EventPublisher;
  return { activities: createOrderActivities(store, events, { runs: { start }, clock }), emitted };
}

test("COMPLETED starts the shipment's run, after the order's event, with the carrier's clock", async (t) => {
  const started: ShipmentWorkflowInput[] = [];
  const { activities, emitted } = orderActivities(async (input) => {
    t.deepEqual(emitted, ['order.v1.completed'], 'the order is recorded and published first');
    started.push(input);
  });
  await activities.recordOrderTransition({ orderId: 'o-1', transition: { status: 'COMPLETED' } });
  t.deepEqual(started, [{ shipmentId: 'shp_o-1', orderId: 'o-1', customerId: 'cust-kim', clock }]);
});

test('no other step starts a run: an order that did not complete never reaches the carrier', async (t) => {
  const started: string[] = [];
  const { activities } = orderActivities(async (input) => void started.push(input.orderId));
  const transitions: OrderTransition[] = [
    { status: 'STOCK_RESERVED', amountMinor: 1000, currency: 'KRW' },
    { status: 'PAYMENT_AUTHORIZED', paymentId: 'pay-1', approvalCode: '123456', amountMinor: 1000 },
    { status: 'SHIPMENT_SCHEDULED', shipmentId: 'shp_o-2' },
    { status: 'FAILED', reason: 'the schedule step timed out', reasonCode: 'STEP_TIMED_OUT' },
    { status: 'CANCELLED', reason: 'changed my mind', reasonCode: 'CUSTOMER_CANCELLED' },
    { status: 'PAYMENT_DECLINED', declineCode: 'card_declined', reason: 'declined' },
    { status: 'REJECTED', reason: 'out of stock', reasonCode: 'INSUFFICIENT_STOCK' },
  ];
  for (const transition of transitions) await activities.recordOrderTransition({ orderId: 'o-2', transition });
  t.deepEqual(started, []);
});

test('a start that fails fails the step, so the saga retries it until the run is started', async (t) => {
  const { activities } = orderActivities(async () => {
    throw new Error('Temporal unavailable');
  });
  await t.throwsAsync(activities.recordOrderTransition({ orderId: 'o-3', transition: { status: 'COMPLETED' } }), {
    message: 'Temporal unavailable',
  });
});
