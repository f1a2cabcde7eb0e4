/**
 * ShipmentWorkflow: the life of one shipment after the saga scheduled it, on the simulated
 * carrier's clock (docs/saga.md#a-shipments-life). Run by the fulfillment worker; started by the
 * `scheduleShipment` activity with the shipment id as workflow id.
 *
 *   wait for pickup → SHIPPED → wait for the transit → DELIVERED
 *                                                   └→ LOST → the order service refunds the order
 *
 * The waits are durable timers: a worker restart, or a week-long transit, changes nothing. The saga
 * has ended (COMPLETED) before any of this; a loss is compensated here, after the fact.
 */
import { type ActivityOptions, proxyActivities, type RetryPolicy, setHandler, sleep } from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activities/fulfillment/activities.js';
import type { ShipmentLossActivities } from '../activities/order/shipment-loss.js';
import { type ShipmentState, shipmentStateQuery, type ShipmentWorkflowInput } from '../platform/contracts/shipment.js';
import { taskQueues } from '../platform/contracts/workflow.js';

/** The carrier's reports and the refund: bookkeeping that must happen, so retried until it does. */
const untilDone = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } satisfies RetryPolicy;
const step = { startToCloseTimeout: '10 seconds', retry: untilDone } satisfies ActivityOptions;

const carrier = proxyActivities<Pick<FulfillmentActivities, 'pickUpShipment' | 'completeTransit'>>({
  ...step,
  taskQueue: taskQueues.fulfillment,
});
/** In the order worker, which holds the order and the payment lines; 15 s like the saga's payment calls. */
const afterSale = proxyActivities<ShipmentLossActivities>({ ...step, startToCloseTimeout: '15 seconds', taskQueue: taskQueues.orders });

export async function ShipmentWorkflow(input: ShipmentWorkflowInput): Promise<ShipmentState> {
  const { shipmentId, orderId, customerId, clock } = input;
  const state: ShipmentState = { shipmentId, orderId, status: 'SCHEDULED' };
  setHandler(shipmentStateQuery, () => state);

  await sleep(clock.pickupAfterMs);
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
