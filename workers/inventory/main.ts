/** The inventory service: Temporal worker on task queue `inventory`, and its small HTTP API. */
import { createInventoryActivities } from '../../activities/inventory/activities.js';
import { InventoryStore } from '../../activities/inventory/store.js';
import { config } from '../../platform/config.js';
import { FaultBook, faultApi, withFaults } from '../../platform/faults.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { runWorkerService } from '../../platform/worker-service.js';
import { createInventoryApi } from './api.js';

// Faults injected on demand (PUT /admin/faults, platform/faults.ts): the chaos suite slows steps with them.
const faults = new FaultBook();

await runWorkerService({
  service: 'inventory',
  databaseUrl: config().INVENTORY_DATABASE_URL,
  databaseName: 'inventory',
  taskQueue: taskQueues.inventory,
  port: config().INVENTORY_PORT,
  openStore: (db) => new InventoryStore(db),
  activities: (store, events) => withFaults(createInventoryActivities(store, events), faults),
  api: (deps) => createInventoryApi(deps).route('/', faultApi(faults)),
});
