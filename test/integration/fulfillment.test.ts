/**
 * Fulfillment (activities/fulfillment/): the store on the real fulfillment database, and the
 * activities called directly with a real EventPublisher on the real Kafka. The running analytics
 * service shows what reached Kafka.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import test from 'ava';
import {
  createFulfillmentActivities,
  type FulfillmentActivities,
  type ScheduleShipmentInput,
} from '../../activities/fulfillment/activities.js';
import { FulfillmentStore } from '../../activities/fulfillment/store.js';
import { config } from '../../platform/config.js';
import { lostParcelPostalCode } from '../../platform/contracts/demo-triggers.js';
import type { ShipmentWorkflowInput } from '../../platform/contracts/shipment.js';
import { type Database, openDatabase } from '../../platform/db.js';
import { eventIdFor } from '../../platform/events/envelope.js';
import { EventPublisher, kafkaClient } from '../../platform/kafka.js';
import { uniqueCustomerId, validOrder } from '../support/fixtures.js';
import { eventually, getJson } from '../support/estate.js';

let db: Database;
let store: FulfillmentStore;
let publisher: EventPublisher;
let activities: FulfillmentActivities;
/**
 * The first-type runs scheduleShipment asked to start, for sagas of an order worker from before v2
 * (the real starter is a Temporal client: test/workflow/shipment-workflow.test.ts).
 */
const startedAtScheduling: ShipmentWorkflowInput[] = [];
const clock = { pickupAfterMs: 5000, transitMs: 10_000 };
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test.before(() => {
  db = openDatabase(config().FULFILLMENT_DATABASE_URL, 'fulfillment-test');
  store = new FulfillmentStore(db);
  publisher = new EventPublisher(kafkaClient('fulfillment-test'), 'fulfillment-test');
  activities = createFulfillmentActivities(store, publisher, {
    runs: { startAtScheduling: async (input) => void startedAtScheduling.push(input) },
    clock,
  });
});

test.after.always(async () => {
  await publisher?.close();
  await db?.end();
});

function shipmentInput(overrides: { postalCode?: string; country?: string } = {}): ScheduleShipmentInput {
  const order = validOrder();
  return {
    orderId: randomUUID(),
    customerId: uniqueCustomerId('fulfillment'),
    items: [
      { sku: 'KB-001', quantity: 1 },
      { sku: 'MS-002', quantity: 2 },
    ],
    shippingAddress: { ...order.shippingAddress, ...overrides },
    orderDate: '2025-03-01',
  };
}

interface AnalyticsEvents {
  events: { eventId: string; type: string }[];
}

function analyticsEvents(orderId: string): Promise<AnalyticsEvents> {
  return getJson<AnalyticsEvents>(`${config().ANALYTICS_URL}/analytics/orders/${orderId}/events`);
}

test('the store schedules one shipment per order; scheduling again returns the first', async (t) => {
  const orderId = randomUUID();
  const shipment = {
    shipmentId: `shp_${orderId}`,
    orderId,
    customerId: uniqueCustomerId('fulfillment'),
    carrier: 'cj-logistics',
    address: { city: '서울', postalCode: '06236', country: 'KR' },
    lines: [{ sku: 'KB-001', quantity: 1 }],
    estimatedDelivery: '2025-03-03',
  };
  const first = await store.schedule(shipment);
  if ('refused' in first) return t.fail('refused');
  const { scheduledAt, ...rest } = first;
  t.deepEqual(rest, { ...shipment, status: 'SCHEDULED' });
  t.regex(scheduledAt, ISO_TIME);
  const again = await store.schedule({ ...shipment, shipmentId: `other_${orderId}`, carrier: 'ems', estimatedDelivery: '2025-04-01' });
  t.deepEqual(again, first);
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM shipments WHERE order_id = $1', [orderId]);
  t.is(rows[0]!.count, 1);
});

test('the store cancels only a scheduled shipment and keeps the first reason', async (t) => {
  const orderId = randomUUID();
  await store.schedule({
    shipmentId: `shp_${orderId}`,
    orderId,
    customerId: uniqueCustomerId('fulfillment'),
    carrier: 'ems',
    address: {},
    lines: [],
    estimatedDelivery: '2025-03-08',
  });
  t.like(await store.cancel(orderId, 'payment voided'), { status: 'CANCELLED' });
  t.like(await store.cancel(orderId, 'second reason'), { status: 'CANCELLED' });
  const { rows } = await db.query<{ reason: string }>('SELECT reason FROM shipments WHERE order_id = $1', [orderId]);
  t.is(rows[0]!.reason, 'payment voided');
  t.is(await store.cancel(randomUUID(), 'no shipment'), undefined);
});

test('a cancel before any shipment leaves a tombstone: a late schedule refuses and sends nothing', async (t) => {
  const input = shipmentInput();
  t.false(await activities.cancelShipment({ orderId: input.orderId, customerId: input.customerId, reason: 'cancelled by the customer' }));
  const error = await t.throwsAsync(activities.scheduleShipment(input));
  t.true(error instanceof ApplicationFailure);
  t.is((error as ApplicationFailure).type, 'ShipmentCancelled');
  t.true((error as ApplicationFailure).nonRetryable);
  t.regex(error?.message ?? '', /cancelled before it was scheduled \(cancelled by the customer\)/);
  t.is(await store.findByOrder(input.orderId), undefined);
});

test('schedule and cancel racing in any order never leave a scheduled shipment', async (t) => {
  const inputs = Array.from({ length: 30 }, () => shipmentInput());
  await Promise.all(
    inputs.map((input, index) => {
      const schedule = () =>
        store.schedule({
          shipmentId: `shp_${input.orderId}`,
          orderId: input.orderId,
          customerId: input.customerId,
          carrier: 'ems',
          address: {},
          lines: [],
          estimatedDelivery: '2026-12-01',
        });
      const cancel = () => store.cancel(input.orderId, 'race');
      return index % 2 === 0 ? Promise.all([schedule(), cancel()]) : Promise.all([cancel(), schedule()]);
    }),
  );
  const live = (await Promise.all(inputs.map((input) => store.findByOrder(input.orderId)))).filter(
    (shipment) => shipment?.status === 'SCHEDULED',
  );
  t.deepEqual(live, [], 'a cancelled order has no scheduled shipment');
});

test('scheduleShipment is idempotent per order and publishes fulfillment.v1.scheduled once in effect', async (t) => {
  const input = shipmentInput();
  const first = await activities.scheduleShipment(input);
  const { scheduledAt, ...rest } = first;
  t.regex(scheduledAt, ISO_TIME);
  t.deepEqual(rest, {
    shipmentId: `shp_${input.orderId}`,
    orderId: input.orderId,
    customerId: input.customerId,
    status: 'SCHEDULED',
    carrier: 'cj-logistics',
    address: input.shippingAddress,
    lines: input.items,
    estimatedDelivery: '2025-03-03',
  });
  const retried = await activities.scheduleShipment(input);
  t.deepEqual(retried, first, 'a retry gets the same shipment');
  t.deepEqual(await store.findByOrder(input.orderId), first);

  // Cancelling publishes a later event on the same partition: once analytics has it, it has seen both publishes of the first.
  t.true(await activities.cancelShipment({ orderId: input.orderId, customerId: input.customerId, reason: 'test over' }));
  const seen = await eventually('analytics to apply fulfillment.v1.cancelled', async () => {
    const { events } = await analyticsEvents(input.orderId);
    return events.some((event) => event.type === 'fulfillment.v1.cancelled') ? events : undefined;
  });
  t.deepEqual(seen.map((event) => [event.type, event.eventId]).sort(), [
    ['fulfillment.v1.cancelled', eventIdFor('fulfillment.v1.cancelled', input.orderId)],
    ['fulfillment.v1.scheduled', eventIdFor('fulfillment.v1.scheduled', input.orderId)],
  ]);
});

test('international shipments go by EMS and take a week', async (t) => {
  const input = shipmentInput({ country: 'US', postalCode: '94105' });
  t.like(await activities.scheduleShipment(input), { carrier: 'ems', estimatedDelivery: '2025-03-08', status: 'SCHEDULED' });
  await activities.cancelShipment({ orderId: input.orderId, customerId: input.customerId, reason: 'test over' });
});

test('the delivery estimate crosses month and year ends', async (t) => {
  const input = { ...shipmentInput(), orderDate: '2024-12-31' };
  t.like(await activities.scheduleShipment(input), { estimatedDelivery: '2025-01-02' });
  await activities.cancelShipment({ orderId: input.orderId, customerId: input.customerId, reason: 'test over' });
});

for (const postalCode of ['99999', '00000']) {
  test(`postal code ${postalCode} fails with a non-retryable UndeliverableAddress and schedules nothing`, async (t) => {
    const input = shipmentInput({ postalCode });
    const failure = await t.throwsAsync(() => activities.scheduleShipment(input), { instanceOf: ApplicationFailure });
    t.is(failure?.type, 'UndeliverableAddress');
    t.true(failure?.nonRetryable);
    t.true(failure?.message.includes(postalCode));
    t.is(await store.findByOrder(input.orderId), undefined);
  });
}

test('cancelShipment cancels a scheduled shipment; with no shipment it does nothing', async (t) => {
  const input = shipmentInput();
  await activities.scheduleShipment(input);
  t.true(await activities.cancelShipment({ orderId: input.orderId, customerId: input.customerId, reason: 'payment voided' }));
  t.like(await store.findByOrder(input.orderId), { status: 'CANCELLED', shipmentId: `shp_${input.orderId}` });

  const never = shipmentInput();
  t.false(await activities.cancelShipment({ orderId: never.orderId, customerId: never.customerId, reason: 'nothing scheduled' }));
  t.is(await store.findByOrder(never.orderId), undefined);
});

test('the carrier picks a shipment up, then delivers it: SHIPPED and DELIVERED with their times and events', async (t) => {
  const input = shipmentInput();
  const { shipmentId } = await activities.scheduleShipment(input);
  t.is(await activities.pickUpShipment({ shipmentId }), 'SHIPPED');
  t.is(await activities.pickUpShipment({ shipmentId }), 'SHIPPED', 'a retried pickup changes nothing');
  t.false(
    await activities.cancelShipment({ orderId: input.orderId, customerId: input.customerId, reason: 'too late' }),
    'a shipped parcel cannot be cancelled',
  );
  t.deepEqual(await activities.completeTransit({ shipmentId }), { status: 'DELIVERED' });
  t.deepEqual(await activities.completeTransit({ shipmentId }), { status: 'DELIVERED' }, 'a retried arrival changes nothing');
  const shipment = await store.findByOrder(input.orderId);
  t.like(shipment, { status: 'DELIVERED' });
  t.regex(shipment!.shippedAt!, ISO_TIME);
  t.regex(shipment!.deliveredAt!, ISO_TIME);
  t.true(shipment!.scheduledAt <= shipment!.shippedAt! && shipment!.shippedAt! <= shipment!.deliveredAt!);
  t.is(shipment!.lostAt, undefined);

  const seen = await eventually('analytics to apply fulfillment.v1.delivered', async () => {
    const { events } = await analyticsEvents(input.orderId);
    return events.some((event) => event.type === 'fulfillment.v1.delivered') ? events : undefined;
  });
  t.deepEqual(seen.map((event) => event.type).sort(), ['fulfillment.v1.delivered', 'fulfillment.v1.scheduled', 'fulfillment.v1.shipped']);
});

test('to a lost-parcel postal code the shipment ends LOST, with fulfillment.v1.lost', async (t) => {
  const input = shipmentInput({ postalCode: lostParcelPostalCode });
  const { shipmentId } = await activities.scheduleShipment(input);
  await activities.pickUpShipment({ shipmentId });
  const arrival = await activities.completeTransit({ shipmentId });
  t.is(arrival.status, 'LOST');
  t.like(await store.findByOrder(input.orderId), { status: 'LOST' });
  await eventually('analytics to apply fulfillment.v1.lost', async () => {
    const { events } = await analyticsEvents(input.orderId);
    return events.some((event) => event.type === 'fulfillment.v1.lost') ? true : undefined;
  });
  t.pass();
});

test('a shipment cancelled before pickup stays CANCELLED: the pickup reports it and sends nothing', async (t) => {
  const input = shipmentInput();
  const { shipmentId } = await activities.scheduleShipment(input);
  t.true(await activities.cancelShipment({ orderId: input.orderId, customerId: input.customerId, reason: 'payment voided' }));
  t.is(await activities.pickUpShipment({ shipmentId }), 'CANCELLED');
  await t.throwsAsync(activities.completeTransit({ shipmentId }), { instanceOf: ApplicationFailure, message: /only a SHIPPED shipment/ });
  t.like(await store.findByOrder(input.orderId), { status: 'CANCELLED' });
});

test("scheduling starts the shipment's run only for a saga whose order service does not (an order worker from before v2), and never for a cancelled shipment", async (t) => {
  const current = { ...shipmentInput(), runStartsOnCompletion: true };
  await activities.scheduleShipment(current);
  t.deepEqual(
    startedAtScheduling.filter((run) => run.orderId === current.orderId),
    [],
    'the order service starts it once the order COMPLETED',
  );

  const older = shipmentInput();
  const shipment = await activities.scheduleShipment(older);
  await activities.scheduleShipment(older);
  // Each attempt asks under the shipment id; Temporal keeps it to one run.
  t.deepEqual(
    startedAtScheduling.filter((run) => run.orderId === older.orderId),
    [1, 2].map(() => ({ shipmentId: shipment.shipmentId, orderId: older.orderId, customerId: older.customerId, clock })),
  );

  const cancelled = shipmentInput();
  await activities.scheduleShipment(cancelled);
  await activities.cancelShipment({ orderId: cancelled.orderId, customerId: cancelled.customerId, reason: 'payment voided' });
  await activities.scheduleShipment(cancelled);
  t.is(
    startedAtScheduling.filter((run) => run.orderId === cancelled.orderId).length,
    1,
    'a late schedule of a cancelled shipment starts no run',
  );
});
