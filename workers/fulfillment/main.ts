/** The fulfillment service: Temporal worker on task queue `fulfillment`, and its HTTP API. */
import { createFulfillmentActivities } from '../../activities/fulfillment/activities.js';
import { FulfillmentStore } from '../../activities/fulfillment/store.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { runWorkerService } from '../../platform/worker-service.js';
import { createFulfillmentApi } from './api.js';

await runWorkerService({
  service: 'fulfillment',
  databaseUrl: config().FULFILLMENT_DATABASE_URL,
  databaseName: 'fulfillment',
  taskQueue: taskQueues.fulfillment,
  port: config().FULFILLMENT_PORT,
  openStore: (db) => new FulfillmentStore(db),
  activities: (store, events) => createFulfillmentActivities(store, events),
  faultInjection: true,
  api: (deps) => createFulfillmentApi(deps),
});
