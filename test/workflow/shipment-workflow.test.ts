/**
 * A shipment's run (workflows/shipment.ts) on a real Temporal dev server, with in-memory carrier and
 * order-service activities (and the warehouse's stock commit, right before every pickup). v2 (`ShipmentWorkflowV2`, what platform/shipment-runs.ts starts once the
 * order COMPLETED): delivered and lost and refunded (the refund retried until done) without ever
 * asking the order's status, cancelled before pickup, and started twice under one shipment id. v1
 * (`ShipmentWorkflow`, still registered for its open runs): no pickup before the order completed nor
 * for an order that failed. The carrier's clock is part of the input, so the
 * durable timers run in tenths of a second here (@temporalio/testing's time-skipping server is a
 * separate download this machine cannot make; the dev server is what the other workflow tests use).
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import anyTest, { type TestFn } from 'ava';
import type { FulfillmentActivities } from '../../activities/fulfillment/activities.js';
import type { InventoryActivities } from '../../activities/inventory/activities.js';
import type { ShipmentLossActivities } from '../../activities/order/shipment-loss.js';
import {
  type ShipmentArrival,
  type ShipmentState,
  shipmentStateQuery,
  type ShipmentStatus,
  type ShipmentWorkflowInput,
} from '../../platform/contracts/shipment.js';
import type { OrderStatus } from '../../platform/contracts/order.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { shipmentRuns } from '../../platform/shipment-runs.js';
import { shipmentWorkflowCode } from '../../workers/fulfillment/workflow-code.js';
import { eventually } from '../support/estate.js';
import { startTestTemporal } from '../support/temporal.js';

/** What the fake carrier and order service were asked, per shipment, and how they answer. */
class FakeCarrier {
  readonly calls: { shipmentId: string; activity: string; at: number }[] = [];
  /** Shipments the saga's undo cancelled before pickup. */
  readonly cancelled = new Set<string>();
  /** Shipments the carrier loses. */
  readonly lost = new Set<string>();
  /** Pickup attempts that fail before one succeeds, per shipment. */
  readonly pickupFailures = new Map<string, number>();
  /** Refund attempts that fail before one succeeds, per shipment. */
  readonly refundFailures = new Map<string, number>();
  /** The order statuses the order service answers, one per ask (the last repeats); COMPLETED by default. */
  readonly orderStatuses = new Map<string, OrderStatus[]>();

  callsFor(shipmentId: string): string[] {
    return this.calls.filter((call) => call.shipmentId === shipmentId).map((call) => call.activity);
  }

  activities(): Pick<FulfillmentActivities, 'pickUpShipment' | 'completeTransit'> {
    return {
      pickUpShipment: async ({ shipmentId }): Promise<ShipmentStatus> => {
        this.calls.push({ shipmentId, activity: 'pickUpShipment', at: Date.now() });
        const left = this.pickupFailures.get(shipmentId) ?? 0;
        if (left > 0) {
          this.pickupFailures.set(shipmentId, left - 1);
          throw new Error('the carrier system is unreachable (planned)');
        }
        return this.cancelled.has(shipmentId) ? 'CANCELLED' : 'SHIPPED';
      },
      completeTransit: async ({ shipmentId }): Promise<ShipmentArrival> => {
        this.calls.push({ shipmentId, activity: 'completeTransit', at: Date.now() });
        return this.lost.has(shipmentId) ? { status: 'LOST', reason: 'the carrier lost the parcel' } : { status: 'DELIVERED' };
      },
    };
  }

  /** The inventory worker's part: the parcel's stock committed as shipped. */
  warehouse(): Pick<InventoryActivities, 'commitStock'> {
    return {
      commitStock: async ({ orderId }) => {
        this.calls.push({ shipmentId: `shp_${orderId}`, activity: 'commitStock', at: Date.now() });
      },
    };
  }

  refunds(): ShipmentLossActivities {
    return {
      orderStatusForShipment: async ({ orderId }) => {
        const shipmentId = `shp_${orderId}`;
        this.calls.push({ shipmentId, activity: 'orderStatusForShipment', at: Date.now() });
        const answers = this.orderStatuses.get(shipmentId) ?? ['COMPLETED'];
        return answers.length > 1 ? answers.shift()! : answers[0]!;
      },
      refundLostShipment: async ({ shipmentId, reason }) => {
        this.calls.push({ shipmentId, activity: `refundLostShipment:${reason}`, at: Date.now() });
        const left = this.refundFailures.get(shipmentId) ?? 0;
        if (left > 0) {
          this.refundFailures.set(shipmentId, left - 1);
          throw new Error('payment-sim is unreachable (planned)');
        }
      },
    };
  }
}

const test = anyTest as TestFn<{ env: TestWorkflowEnvironment; carrier: FakeCarrier; stop: () => Promise<void> }>;

test.before(async (t) => {
  const env = await startTestTemporal();
  const carrier = new FakeCarrier();
  const common = { connection: env.nativeConnection, namespace: env.namespace };
  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: taskQueues.fulfillment,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: shipmentWorkflowCode.workflowsPath, logger: quiet }),
      activities: carrier.activities(),
    }),
    Worker.create({ ...common, taskQueue: taskQueues.orders, activities: carrier.refunds() }),
    Worker.create({ ...common, taskQueue: taskQueues.inventory, activities: carrier.warehouse() }),
  ]);
  const running = Promise.all(workers.map((worker) => worker.run()));
  t.context = {
    env,
    carrier,
    async stop() {
      for (const worker of workers) worker.shutdown();
      await running;
      await env.teardown();
    },
  };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

function shipment(clock = { pickupAfterMs: 300, transitMs: 500 }): ShipmentWorkflowInput {
  const orderId = randomUUID();
  return { shipmentId: `shp_${orderId}`, orderId, customerId: 'cust-test', clock };
}

async function run(t: { context: { env: TestWorkflowEnvironment } }, input: ShipmentWorkflowInput): Promise<ShipmentState> {
  await shipmentRuns(t.context.env.client).start(input);
  return (await t.context.env.client.workflow.getHandle(input.shipmentId).result()) as ShipmentState;
}

/** A run of the first type, started at scheduling as before v2 (its open runs still finish on this worker). */
async function runV1(t: { context: { env: TestWorkflowEnvironment } }, input: ShipmentWorkflowInput): Promise<ShipmentState> {
  return (await t.context.env.client.workflow.execute('ShipmentWorkflow', {
    workflowId: input.shipmentId,
    taskQueue: taskQueues.fulfillment,
    args: [input],
  })) as ShipmentState;
}

test('a shipment is picked up after the pickup wait, its stock committed first, and delivered after the transit', async (t) => {
  const input = shipment();
  const started = Date.now();
  const state = await run(t, input);
  t.deepEqual(state, { shipmentId: input.shipmentId, orderId: input.orderId, status: 'DELIVERED' });
  // v2 runs only for a completed order: it never asks the order service for the status.
  t.deepEqual(t.context.carrier.callsFor(input.shipmentId), ['commitStock', 'pickUpShipment', 'completeTransit']);
  const [, pickup, arrival] = t.context.carrier.calls.filter((call) => call.shipmentId === input.shipmentId);
  t.true(pickup!.at - started >= input.clock.pickupAfterMs, 'no pickup before the pickup wait');
  t.true(arrival!.at - pickup!.at >= input.clock.transitMs, 'no arrival before the transit');
});

test('a carrier step that fails is retried until it is done', async (t) => {
  const input = shipment({ pickupAfterMs: 0, transitMs: 0 });
  t.context.carrier.pickupFailures.set(input.shipmentId, 2);
  const state = await run(t, input);
  t.is(state.status, 'DELIVERED');
  t.deepEqual(t.context.carrier.callsFor(input.shipmentId), [
    'commitStock',
    'pickUpShipment',
    'pickUpShipment',
    'pickUpShipment',
    'completeTransit',
  ]);
});

test('the live state is answered while the parcel travels', async (t) => {
  const input = shipment({ pickupAfterMs: 0, transitMs: 60_000 });
  await shipmentRuns(t.context.env.client).start(input);
  const handle = t.context.env.client.workflow.getHandle(input.shipmentId);
  const state = await eventually('the shipment to be SHIPPED', async () => {
    const live = await handle.query(shipmentStateQuery);
    return live.status === 'SHIPPED' ? live : undefined;
  });
  t.is(state.status, 'SHIPPED');
  await handle.terminate('test over');
});

test('a lost parcel has the order refunded, and the refund is retried until it is done', async (t) => {
  const input = shipment({ pickupAfterMs: 0, transitMs: 100 });
  t.context.carrier.lost.add(input.shipmentId);
  t.context.carrier.refundFailures.set(input.shipmentId, 2);
  const state = await run(t, input);
  t.deepEqual(state, { shipmentId: input.shipmentId, orderId: input.orderId, status: 'LOST', refund: 'done' });
  t.deepEqual(t.context.carrier.callsFor(input.shipmentId), [
    'commitStock',
    'pickUpShipment',
    'completeTransit',
    ...Array.from({ length: 3 }, () => 'refundLostShipment:the carrier lost the parcel'),
  ]);
});

test('a shipment the saga cancelled before pickup ends CANCELLED without a transit', async (t) => {
  const input = shipment({ pickupAfterMs: 100, transitMs: 100 });
  t.context.carrier.cancelled.add(input.shipmentId);
  const state = await run(t, input);
  t.is(state.status, 'CANCELLED');
  t.deepEqual(t.context.carrier.callsFor(input.shipmentId), ['commitStock', 'pickUpShipment']);
});

test('v1: the carrier waits for the order to complete before it takes the parcel', async (t) => {
  const input = shipment({ pickupAfterMs: 0, transitMs: 0 });
  t.context.carrier.orderStatuses.set(input.shipmentId, ['SHIPMENT_SCHEDULED', 'SHIPMENT_SCHEDULED', 'COMPLETED']);
  const state = await runV1(t, input);
  t.is(state.status, 'DELIVERED');
  t.deepEqual(t.context.carrier.callsFor(input.shipmentId), [
    'orderStatusForShipment',
    'orderStatusForShipment',
    'orderStatusForShipment',
    'commitStock',
    'pickUpShipment',
    'completeTransit',
  ]);
});

test('v1: a shipment whose order failed (the saga undoes it) is never taken by the carrier', async (t) => {
  const input = shipment({ pickupAfterMs: 0, transitMs: 0 });
  t.context.carrier.orderStatuses.set(input.shipmentId, ['SHIPMENT_SCHEDULED', 'FAILED']);
  const state = await runV1(t, input);
  t.like(state, { status: 'SCHEDULED', abandoned: 'the order ended FAILED: its saga undoes the shipment' });
  t.deepEqual(t.context.carrier.callsFor(input.shipmentId), ['orderStatusForShipment', 'orderStatusForShipment']);
});

test('starting the same shipment twice (a retried schedule) runs one carrier run, also after it finished', async (t) => {
  const input = shipment({ pickupAfterMs: 200, transitMs: 0 });
  const runs = shipmentRuns(t.context.env.client);
  await Promise.all([runs.start(input), runs.start(input)]);
  await t.context.env.client.workflow.getHandle(input.shipmentId).result();
  await runs.start(input);
  // Visibility lags the history a little: wait until the finished run is listed, then count.
  const executions = await eventually('the run to be listed', async () => {
    const listed = await t.context.env.client.workflowService.listWorkflowExecutions({
      namespace: t.context.env.namespace ?? 'default',
      query: `WorkflowId = '${input.shipmentId}'`,
    });
    return listed.executions.some((execution) => execution.closeTime) ? listed.executions : undefined;
  });
  t.is(executions.length, 1);
  t.deepEqual(t.context.carrier.callsFor(input.shipmentId), ['commitStock', 'pickUpShipment', 'completeTransit']);
});
