/**
 * A shipment's run: its life after the saga, on the simulated carrier's clock
 * (docs/saga.md#a-shipments-life). Run by the fulfillment worker, with the shipment id as workflow id.
 *
 *   v2, ShipmentWorkflowV2 (started by the order service once the order COMPLETED, after the pickup wait):
 *     commit the order's stock → SHIPPED → wait for the transit → DELIVERED
 *                                                                        └→ LOST → the order service refunds the order
 *
 *   v1, ShipmentWorkflow (started by `scheduleShipment`, before the saga's outcome was known):
 *     wait for pickup → ask the order's status until its saga ended → COMPLETED? → the same as v2
 *
 * The waits are durable timers: a worker restart, or a week-long transit, changes nothing. The
 * carrier takes the parcel only once the order's saga has COMPLETED: a saga whose schedule step
 * timed out may still fail and undo the shipment, and goods must not leave for a failed order. v2
 * holds that by being started only then, so it needs no status poll (an activity task and a
 * workflow task fewer per order); v1 asked. v1 stays registered, unchanged, for its runs started
 * before v2 (docs/saga.md, "The versioning rule"). A loss is compensated here, after the saga, by a
 * refund.
 */
import { type ActivityOptions, patched, proxyActivities, type RetryPolicy, setHandler, sleep } from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activities/fulfillment/activities.js';
import type { InventoryActivities } from '../activities/inventory/activities.js';
import type { ShipmentLossActivities } from '../activities/order/shipment-loss.js';
import { isTerminal } from '../platform/contracts/order.js';
import { type ShipmentState, shipmentStateQuery, type ShipmentWorkflowInput } from '../platform/contracts/shipment.js';
import { taskQueues } from '../platform/contracts/workflow.js';

/** The carrier's reports and the refund: bookkeeping that must happen, so retried until it does. */
const untilDone = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } satisfies RetryPolicy;
const step = { startToCloseTimeout: '10 seconds', retry: untilDone } satisfies ActivityOptions;

const carrier = proxyActivities<Pick<FulfillmentActivities, 'pickUpShipment' | 'completeTransit'>>({
  ...step,
  taskQueue: taskQueues.fulfillment,
});
/** The inventory worker: the parcel's goods leave the warehouse's stock. */
const warehouse = proxyActivities<Pick<InventoryActivities, 'commitStock'>>({ ...step, taskQueue: taskQueues.inventory });
/** In the order worker, which holds the order and the payment lines; 15 s like the saga's payment calls. */
const afterSale = proxyActivities<ShipmentLossActivities>({ ...step, startToCloseTimeout: '15 seconds', taskQueue: taskQueues.orders });

/**
 * v2: started once the order COMPLETED (activities/order/activities.ts), so the carrier may take the
 * parcel, and started after the pickup wait (the start's delay, platform/shipment-runs.ts).
 */
export async function ShipmentWorkflowV2(input: ShipmentWorkflowInput): Promise<ShipmentState> {
  return carry(input, shipmentState(input), () => true);
}

/** v1: started at scheduling, so it asks whether the saga completed before the carrier takes the parcel. */
export async function ShipmentWorkflow(input: ShipmentWorkflowInput): Promise<ShipmentState> {
  const state = shipmentState(input);
  await sleep(input.clock.pickupAfterMs);
  const saga = await sagaOutcome(input.orderId);
  if (saga !== 'COMPLETED') {
    state.abandoned = `the order ended ${saga}: its saga undoes the shipment`;
    return state;
  }
  // v1 runs that reach the pickup after the stock moved here commit it too (their saga may not have).
  return carry(input, state, () => patched('stock-committed-at-pickup'));
}

function shipmentState({ shipmentId, orderId }: ShipmentWorkflowInput): ShipmentState {
  const state: ShipmentState = { shipmentId, orderId, status: 'SCHEDULED' };
  setHandler(shipmentStateQuery, () => state);
  return state;
}

/** The stock's commit, pickup, transit, and a lost parcel's refund: the same commands in both types. */
async function carry(
  { shipmentId, orderId, customerId, clock }: ShipmentWorkflowInput,
  state: ShipmentState,
  commitsStock: () => boolean,
): Promise<ShipmentState> {
  // The stock leaves with the parcel (v6 of the saga no longer commits it). Committed before the
  // pickup is recorded, so a shipment that shows SHIPPED always has shipped stock; committing twice
  // (a retry, or an order whose saga committed it itself before v6) changes nothing.
  if (commitsStock()) await warehouse.commitStock({ orderId });
  state.status = await carrier.pickUpShipment({ shipmentId });
  // Anything but SHIPPED: the saga's undo cancelled it before pickup, or (a second run) it is past that.
  if (state.status !== 'SHIPPED') return state;

  await sleep(clock.transitMs);
  const arrival = await carrier.completeTransit({ shipmentId });
  state.status = arrival.status;
  if (arrival.status === 'LOST') {
    state.refund = 'pending';
    await afterSale.refundLostShipment({ orderId, customerId, shipmentId, reason: arrival.reason });
    state.refund = 'done';
  }
  return state;
}

/** Waits (durably, backing off to a minute) until the order's saga has ended; COMPLETED or how it ended. */
async function sagaOutcome(orderId: string): Promise<string> {
  for (let pause = 1000; ; pause = Math.min(pause * 2, 60_000)) {
    const status = await afterSale.orderStatusForShipment({ orderId });
    // REFUNDED comes only after COMPLETED (a second run of a lost shipment).
    if (status === 'COMPLETED' || status === 'REFUNDED') return 'COMPLETED';
    if (isTerminal(status)) return status;
    await sleep(pause);
  }
}
