/**
 * The fulfillment service: Temporal worker on task queue `fulfillment` (the saga's shipment steps,
 * and each shipment's own run on the carrier's clock, which the order service starts once the order
 * COMPLETED), and its HTTP API.
 */
import { createFulfillmentActivities } from '../../activities/fulfillment/activities.js';
import { FulfillmentStore } from '../../activities/fulfillment/store.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { shipmentRuns } from '../../platform/shipment-runs.js';
import { connectClient } from '../../platform/temporal.js';
import { runWorkerService } from '../../platform/worker-service.js';
import { createFulfillmentApi } from './api.js';
import { shipmentWorkflowCode } from './workflow-code.js';

const env = config();

await runWorkerService({
  service: 'fulfillment',
  databaseUrl: env.FULFILLMENT_DATABASE_URL,
  databaseName: 'fulfillment',
  taskQueue: taskQueues.fulfillment,
  port: env.FULFILLMENT_PORT,
  openStore: (db) => new FulfillmentStore(db),
  // A Temporal client, to start a shipment's run at scheduling for a saga whose order worker predates v2.
  openParts: async () => {
    const temporal = await connectClient();
    return { parts: { temporal }, stops: [() => temporal.connection.close()] };
  },
  workflows: shipmentWorkflowCode,
  activities: (store, events, { temporal }) =>
    createFulfillmentActivities(store, events, {
      runs: shipmentRuns(temporal),
      clock: { pickupAfterMs: env.CARRIER_PICKUP_AFTER_MS, transitMs: env.CARRIER_TRANSIT_MS },
    }),
  faultInjection: true,
  api: (deps) => createFulfillmentApi(deps),
});
