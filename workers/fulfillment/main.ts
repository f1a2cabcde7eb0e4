/** The fulfillment service: Temporal worker on task queue `fulfillment`, and its HTTP API. */
import { createFulfillmentActivities } from '../../activities/fulfillment/activities.js';
import { FulfillmentStore } from '../../activities/fulfillment/store.js';
import { config } from '../../platform/config.js';
import { FaultBook, faultApi, withFaults } from '../../platform/faults.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { runWorkerService } from '../../platform/worker-service.js';
import { createFulfillmentApi } from './api.js';

// Faults injected on demand (PUT /admin/faults, platform/faults.ts): the chaos suite slows steps with them.
const faults = new FaultBook();

await runWorkerService({
  service: 'fulfillment',
  databaseUrl: config().FULFILLMENT_DATABASE_URL,
  databaseName: 'fulfillment',
  taskQueue: taskQueues.fulfillment,
  port: config().FULFILLMENT_PORT,
  openStore: (db) => new FulfillmentStore(db),
  activities: (store, events) => withFaults(createFulfillmentActivities(store, events), faults),
  api: (deps) => createFulfillmentApi(deps).route('/', faultApi(faults)),
});
