/**
 * How a shipment's run (workflows/shipment.ts) is started: through a Temporal client, on the
 * fulfillment task queue, with the shipment id as workflow id and duplicates rejected, so a retried
 * start (or one retried after the delivery) never starts a second carrier run. The order service
 * starts it once the order COMPLETED (activities/order/activities.ts); before v2 the fulfillment
 * service started the first type at scheduling, and that run then polled the order until it had
 * completed. Scheduling still does so for a saga run by an order worker from before v2 (it does not
 * say that its order service starts the run), so fulfillment can be upgraded first
 * (docs/saga.md#a-shipments-life).
 *
 * Tracing: a shipment lives for days, so it gets a trace of its own (rooted at `start shipment`),
 * linked to the order's, instead of stretching the order's trace over its whole life: an order's
 * trace ends with its saga, one connected tree (docs/observability.md).
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import {
  firstShipmentWorkflowType,
  shipmentWorkflowIdFor,
  type ShipmentWorkflowInput,
  shipmentWorkflowType,
} from './contracts/shipment.js';
import { taskQueues } from './contracts/workflow.js';

/** Starts a shipment's run; idempotent (a second start of the same shipment is a no-op). */
export interface ShipmentRuns {
  /** v2, once the order COMPLETED: the run starts after the pickup wait. */
  start(input: ShipmentWorkflowInput): Promise<void>;
  /** The first type, at scheduling, for a saga whose order worker predates v2: it waits and asks itself. */
  startAtScheduling(input: ShipmentWorkflowInput): Promise<void>;
}

const tracer = trace.getTracer('ordersaga.shipments');

export function shipmentRuns(temporal: Client): ShipmentRuns {
  function startRun(input: ShipmentWorkflowInput, workflowType: string, startDelayMs: number): Promise<void> {
    const order = trace.getActiveSpan()?.spanContext();
    const attributes = { 'ordersaga.order.id': input.orderId, 'ordersaga.shipment.id': input.shipmentId };
    return tracer.startActiveSpan('start shipment', { root: true, attributes, links: order ? [{ context: order }] : [] }, async (span) => {
      try {
        await temporal.workflow.start(workflowType, {
          workflowId: shipmentWorkflowIdFor(input.shipmentId),
          taskQueue: taskQueues.fulfillment,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          ...(startDelayMs > 0 ? { startDelay: startDelayMs } : {}),
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        }
      } finally {
        span.end();
      }
    });
  }
  return {
    // The wait for the carrier's pickup is the start's delay, kept by the server as durably as a
    // timer, so the run has no timer and no workflow task of its own for it.
    start: (input) => startRun(input, shipmentWorkflowType, input.clock.pickupAfterMs),
    startAtScheduling: (input) => startRun(input, firstShipmentWorkflowType, 0),
  };
}
