/** The inventory service: Temporal worker on task queue `inventory`, and its small HTTP API. */
import { createInventoryActivities } from '../../activities/inventory/activities.js';
import { InventoryStore } from '../../activities/inventory/store.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { runWorkerService } from '../../platform/worker-service.js';
import { createInventoryApi } from './api.js';

await runWorkerService({
  service: 'inventory',
  databaseUrl: config().INVENTORY_DATABASE_URL,
  databaseName: 'inventory',
  taskQueue: taskQueues.inventory,
  port: config().INVENTORY_PORT,
  openStore: (db) => new InventoryStore(db),
  activities: (store, events) => createInventoryActivities(store, events),
  faultInjection: true,
  api: (deps) => createInventoryApi(deps),
});
