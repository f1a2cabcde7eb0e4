/**
 * The fulfillment service: Temporal worker on task queue `fulfillment` (the saga's shipment steps,
 * and each shipment's own run on the carrier's clock, which the order service starts once the order
 * COMPLETED), and its HTTP API.
 */
import { createFulfillmentActivities } from '../../activities/fulfillment/activities.js';
import { FulfillmentStore } from '../../activities/fulfillment/store.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
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
  workflows: shipmentWorkflowCode,
  activities: (store, events) => createFulfillmentActivities(store, events),
  faultInjection: true,
  api: (deps) => createFulfillmentApi(deps),
});
