/** The fulfillment service: Temporal worker on task queue `fulfillment`, and its HTTP API. */
import { createFulfillmentActivities } from '../../activities/fulfillment/activities.js';
import { FulfillmentStore } from '../../activities/fulfillment/store.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { openDatabase } from '../../platform/db.js';
import { closeHttpServer, startHttpServer } from '../../platform/http.js';
import { EventPublisher, kafkaClient } from '../../platform/kafka.js';
import { runService } from '../../platform/service.js';
import { startWorker } from '../../platform/temporal.js';
import { createFulfillmentApi } from './api.js';

await runService('fulfillment', async () => {
  const db = openDatabase(config().FULFILLMENT_DATABASE_URL, 'fulfillment');
  const store = new FulfillmentStore(db);
  const events = new EventPublisher(kafkaClient('fulfillment'), 'fulfillment');
  const { worker, running } = await startWorker({
    taskQueue: taskQueues.fulfillment,
    activities: createFulfillmentActivities(store, events),
  });
  const server = await startHttpServer(createFulfillmentApi({ db, store }), config().FULFILLMENT_PORT, 'fulfillment API');
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
