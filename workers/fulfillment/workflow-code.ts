/**
 * Where the fulfillment worker finds the shipments' workflow code: `workflows/shipment.ts` (both
 * types: `ShipmentWorkflowV2`, which the order service starts once an order COMPLETED, and the first
 * `ShipmentWorkflow`, whose runs started before v2 finish here), and the bundle `npm run bundle`
 * prebuilds from it. How a run is started is platform/shipment-runs.ts.
 */
import { fileURLToPath } from 'node:url';
import type { WorkflowCode } from '../../platform/temporal.js';

export const shipmentWorkflowCode: WorkflowCode = {
  bundlePath: fileURLToPath(new URL('../../dist/shipment-workflow-bundle.js', import.meta.url)),
  workflowsPath: fileURLToPath(new URL('../../workflows/shipment.ts', import.meta.url)),
};
