/** The inventory service: Temporal worker on task queue `inventory`, and its small HTTP API. */
import { createInventoryActivities } from '../../activities/inventory/activities.js';
import { InventoryStore } from '../../activities/inventory/store.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { openDatabase } from '../../platform/db.js';
import { closeHttpServer, startHttpServer } from '../../platform/http.js';
import { EventPublisher, kafkaClient } from '../../platform/kafka.js';
import { runService } from '../../platform/service.js';
import { startWorker } from '../../platform/temporal.js';
import { createInventoryApi } from './api.js';

await runService('inventory', async () => {
  const db = openDatabase(config().INVENTORY_DATABASE_URL, 'inventory');
  const store = new InventoryStore(db);
  const events = new EventPublisher(kafkaClient('inventory'), 'inventory');
  const { worker, running } = await startWorker({
    taskQueue: taskQueues.inventory,
    activities: createInventoryActivities(store, events),
  });
  const server = await startHttpServer(createInventoryApi({ db, store }), config().INVENTORY_PORT, 'inventory API');
  return [
    () => db.end(),
    () => events.close(),
    async () => {
      worker.shutdown();
      await running;
    },
    () => closeHttpServer(server),
  ];
});
