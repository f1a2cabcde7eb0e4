/**
 * The order service: its HTTP API (accept and read orders), its Temporal worker on task queue
 * `orders`, which runs OrderWorkflow and the order and payment activities, and the sweeper that
 * starts the sagas of accepted orders whose start did not happen (workers/order/saga-starts.ts).
 * The worker is watched: if its `run()` fails, the process stops through its stop sequence and exits 1.
 */
import type { Connection } from '@temporalio/client';
import { createOrderActivities } from '../../activities/order/activities.js';
import { OrderStore } from '../../activities/order/store.js';
import { createPaymentActivities } from '../../activities/payment/activities.js';
import { paymentGateways } from '../../activities/payment/gateways.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { openDatabase } from '../../platform/db.js';
import { databaseReady, mountHealth, temporalReachable, temporalWorkerRunning } from '../../platform/health.js';
import { closeHttpServer, startHttpServer } from '../../platform/http.js';
import { EventPublisher, kafkaClient } from '../../platform/kafka.js';
import { runService } from '../../platform/service.js';
import { connectClient, startWorker } from '../../platform/temporal.js';
import { stopWorker, watchWorker } from '../../platform/worker-service.js';
import { createOrderApi } from './api.js';
import { sagaSinks } from './saga-sinks.js';
import { SagaStartSweeper } from './saga-starts.js';
import { orderWorkflowCode } from './workflow-code.js';

await runService('order', async (lifecycle) => {
  const env = config();
  const db = openDatabase(env.ORDER_DATABASE_URL, 'orders');
  const store = new OrderStore(db);
  const events = new EventPublisher(kafkaClient('order'), 'order');
  const gateways = paymentGateways();
  const temporal = await connectClient();

  const { worker, running } = await startWorker({
    taskQueue: taskQueues.orders,
    workflows: orderWorkflowCode,
    sinks: sagaSinks(),
    activities: { ...createOrderActivities(store, events), ...createPaymentActivities(gateways, events) },
  });
  watchWorker(lifecycle, worker, running, taskQueues.orders);
  const sweeper = new SagaStartSweeper(
    { store, temporal },
    { intervalMs: env.ORDER_SAGA_SWEEP_INTERVAL_MS, afterMs: env.ORDER_SAGA_SWEEP_AFTER_MS, startTimeoutMs: env.ORDER_WORKFLOW_START_TIMEOUT_MS },
  );
  sweeper.start();
  const app = mountHealth(createOrderApi({ db, store, temporal, sagaStartTimeoutMs: env.ORDER_WORKFLOW_START_TIMEOUT_MS }), [
    databaseReady(db),
    temporalWorkerRunning(worker, taskQueues.orders),
    // The API starts sagas on request: without Temporal it can only defer them.
    temporalReachable(temporal.connection as Connection),
  ]);
  const server = await startHttpServer(app, env.ORDER_PORT, 'order API');

  return [
    () => db.end(),
    () => events.close(),
    async () => {
      await Promise.all(Object.values(gateways).map((gateway) => gateway.close?.()));
    },
    () => temporal.connection.close(),
    () => stopWorker(worker, running),
    () => sweeper.stop(),
    () => closeHttpServer(server),
  ];
});
