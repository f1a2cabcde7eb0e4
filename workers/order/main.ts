/**
 * The order service: its HTTP API (accept and read orders), its Temporal worker on task queue
 * `orders`, which runs OrderWorkflow and the order and payment activities (and a lost parcel's
 * refund, for the shipments' runs, which it starts once an order COMPLETED), and the sweeper that
 * starts the sagas of accepted orders whose start did not happen (workers/order/saga-starts.ts).
 * The same recipe as inventory and fulfillment (platform/worker-service.ts), with more parts: the
 * payment gateways' clients, a Temporal client to start sagas, and the workflow code.
 */
import { createOrderActivities } from '../../activities/order/activities.js';
import { OrderStore } from '../../activities/order/store.js';
import { createShipmentLossActivities } from '../../activities/order/shipment-loss.js';
import { createPaymentActivities } from '../../activities/payment/activities.js';
import { paymentGateways } from '../../activities/payment/gateways.js';
import { config } from '../../platform/config.js';
import { taskQueues } from '../../platform/contracts/workflow.js';
import { temporalReachable } from '../../platform/health.js';
import { clientOn, connectWorker } from '../../platform/temporal.js';
import { shipmentRuns } from '../../platform/shipment-runs.js';
import { runWorkerService } from '../../platform/worker-service.js';
import { createOrderApi } from './api.js';
import { sagaSinks } from './saga-sinks.js';
import { SagaStartSweeper } from './saga-starts.js';
import { orderWorkflowCode } from './workflow-code.js';

const env = config();

await runWorkerService({
  service: 'order',
  databaseUrl: env.ORDER_DATABASE_URL,
  databaseName: 'orders',
  taskQueue: taskQueues.orders,
  port: env.ORDER_PORT,
  openStore: (db) => new OrderStore(db),
  openParts: async () => {
    const gateways = paymentGateways();
    // The API's client and the worker share one connection: the saga it starts is the worker's to
    // run, and the start asks for it eagerly (workers/order/saga-starts.ts).
    const connection = await connectWorker();
    const temporal = clientOn(connection);
    return {
      parts: { gateways, temporal, connection },
      stops: [
        async () => {
          await Promise.all(Object.values(gateways).map(async (gateway) => gateway.close?.()));
        },
        () => connection.close(),
      ],
    };
  },
  workerConnection: ({ connection }) => connection,
  workflows: orderWorkflowCode,
  sinks: sagaSinks,
  activities: (store, events, { gateways, temporal }) => ({
    // Recording COMPLETED starts the shipment's run on the carrier's clock (workflows/shipment.ts).
    ...createOrderActivities(store, events, {
      runs: shipmentRuns(temporal),
      clock: { pickupAfterMs: env.CARRIER_PICKUP_AFTER_MS, transitMs: env.CARRIER_TRANSIT_MS },
    }),
    ...createPaymentActivities(gateways, events),
    // A lost parcel's refund, asked for by ShipmentWorkflow (workflows/shipment.ts).
    ...createShipmentLossActivities(store, gateways.http, events),
  }),
  alongside: ({ store, temporal }) => {
    const sweeper = new SagaStartSweeper(
      { store, temporal },
      {
        intervalMs: env.ORDER_SAGA_SWEEP_INTERVAL_MS,
        afterMs: env.ORDER_SAGA_SWEEP_AFTER_MS,
        startTimeoutMs: env.ORDER_WORKFLOW_START_TIMEOUT_MS,
      },
    );
    sweeper.start();
    return () => sweeper.stop();
  },
  api: ({ db, store, temporal }) => createOrderApi({ db, store, temporal, sagaStartTimeoutMs: env.ORDER_WORKFLOW_START_TIMEOUT_MS }),
  // The API starts sagas on request: without Temporal it can only defer them.
  readiness: ({ connection }) => [temporalReachable(connection)],
});
