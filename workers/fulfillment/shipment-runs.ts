/**
 * How the fulfillment service starts a shipment's ShipmentWorkflow: through a Temporal client, with
 * the shipment id as workflow id and duplicates rejected, so a retried `scheduleShipment` (or one
 * retried after the shipment was delivered) never starts a second carrier run. The workflow's
 * code lives in workflows/shipment.ts; where the worker finds it, below.
 *
 * Tracing: a shipment lives for days, so it gets a trace of its own (rooted at `start shipment`),
 * linked to the order's, instead of stretching the order's trace over its whole life: an order's
 * trace ends with its saga, one connected tree (docs/observability.md).
 */
import { fileURLToPath } from 'node:url';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ShipmentRuns } from '../../activities/fulfillment/activities.js';
import { shipmentWorkflowIdFor, shipmentWorkflowType, type ShipmentWorkflowInput } from '../../platform/contracts/shipment.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import type { WorkflowCode } from '../../platform/temporal.js';

/** The fulfillment worker's workflow code: `workflows/shipment.ts`, and the bundle `npm run bundle` prebuilds from it. */
export const shipmentWorkflowCode: WorkflowCode = {
  bundlePath: fileURLToPath(new URL('../../dist/shipment-workflow-bundle.js', import.meta.url)),
  workflowsPath: fileURLToPath(new URL('../../workflows/shipment.ts', import.meta.url)),
};

const tracer = trace.getTracer('ordersaga.fulfillment');

export function shipmentRuns(temporal: Client): ShipmentRuns {
  return {
    start(input: ShipmentWorkflowInput): Promise<void> {
      const order = trace.getActiveSpan()?.spanContext();
      const attributes = { 'ordersaga.order.id': input.orderId, 'ordersaga.shipment.id': input.shipmentId };
      return tracer.startActiveSpan(
        'start shipment',
        { root: true, attributes, links: order ? [{ context: order }] : [] },
        async (span) => {
          try {
            await temporal.workflow.start(shipmentWorkflowType, {
              workflowId: shipmentWorkflowIdFor(input.shipmentId),
              taskQueue: taskQueues.fulfillment,
              args: [input],
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
            });
          } catch (error) {
            if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
              span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
              throw error;
            }
          } finally {
            span.end();
          }
        },
      );
    },
  };
}
