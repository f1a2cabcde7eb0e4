/**
 * The order service: its HTTP API (accept and read orders) and its Temporal worker on task queue
 * `orders`, which runs OrderWorkflow and the order and payment activities.
 */
import { createOrderActivities } from '../../activities/order/activities.js';
import { OrderStore } from '../../activities/order/store.js';
import { createPaymentActivities } from '../../activities/payment/activities.js';
import { paymentGateways } from '../../activities/payment/gateways.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { openDatabase } from '../../platform/db.js';
import { closeHttpServer, startHttpServer } from '../../platform/http.js';
import { EventPublisher, kafkaClient } from '../../platform/kafka.js';
import { runService } from '../../platform/service.js';
import { connectClient, startWorker } from '../../platform/temporal.js';
import { createOrderApi } from './api.js';

await runService('order', async () => {
  const db = openDatabase(config().ORDER_DATABASE_URL, 'orders');
  const store = new OrderStore(db);
  const events = new EventPublisher(kafkaClient('order'), 'order');
  const gateways = paymentGateways();
  const temporal = await connectClient();

  const { worker, running } = await startWorker({
    taskQueue: taskQueues.orders,
    withWorkflows: true,
    activities: { ...createOrderActivities(store, events), ...createPaymentActivities(gateways, events) },
  });
  const server = await startHttpServer(createOrderApi({ db, store, temporal }), config().ORDER_PORT, 'order API');

  return [
    () => db.end(),
    () => events.close(),
    async () => {
      await Promise.all(Object.values(gateways).map((gateway) => gateway.close?.()));
    },
    () => temporal.connection.close(),
    async () => {
      // The SDK already drains on SIGINT/SIGTERM by itself; only ask when it has not begun.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    () => closeHttpServer(server),
  ];
});
