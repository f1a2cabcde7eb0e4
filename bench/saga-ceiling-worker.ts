/**
 * The ceiling's side of the saga benchmark: workers for CeilingOrderWorkflow and its no-op
 * activities on the bench-* task queues, in the benchmark's own process, and the client call that
 * starts one ceiling order the way the order service starts a saga (same search attributes).
 *
 * One worker per task queue, as the estate has one per service; they share one connection. No
 * tracing plugin: the ceiling is Temporal and the SDK alone.
 */
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { config } from '../platform/config.js';
import { CustomerIdAttribute, OrderStatusAttribute, PaymentChannelAttribute } from '../platform/contracts/search-attributes.js';
import type { OrderWorkflowInput } from '../platform/contracts/workflow.js';
import { connectWorker, installTemporalRuntime } from '../platform/temporal.js';
import { type CeilingActivities, ceilingTaskQueues, type CeilingOrderWorkflow } from './ceiling-workflow.js';

const ceilingWorkflowPath = fileURLToPath(new URL('./ceiling-workflow.ts', import.meta.url));

/** Activities that answer at once with what the next step reads. */
const noOpActivities: CeilingActivities = {
  async recordOrderAccepted() {},
  async recordOrderTransition() {},
  async preparePayment(input) {
    return { amountMinor: input.subtotalMinor };
  },
  async reserveStock() {
    return { totalMinor: 45_000, currency: 'KRW' };
  },
  async authorizePayment(input) {
    return { paymentId: `bench-${input.orderId}` };
  },
  async scheduleShipment(input) {
    return { shipmentId: `bench-${input.orderId}` };
  },
};

export interface CeilingWorkers {
  /** Starts polling; resolves when the workers have stopped. */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Creates (and bundles, a few seconds of CPU) the ceiling workers without starting them, so the
 * bundling is done before anything is measured.
 */
export async function createCeilingWorkers(): Promise<CeilingWorkers> {
  // Quiet: the SDK's worker-state lines (and its warning that the activity-only workers poll no
  // workflow tasks) would interleave with the benchmark's progress.
  installTemporalRuntime('ERROR');
  const connection = await connectWorker();
  const namespace = config().TEMPORAL_NAMESPACE;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the no-op activities read no `this`, and Temporal calls activities as plain functions
  const { recordOrderAccepted, recordOrderTransition, preparePayment, reserveStock, authorizePayment, scheduleShipment } = noOpActivities;
  const workers = [
    await Worker.create({
      connection,
      namespace,
      taskQueue: ceilingTaskQueues.orders,
      workflowsPath: ceilingWorkflowPath,
      // Local activities run in the workflow's worker, as the order bookkeeping does in the order worker.
      activities: { recordOrderAccepted, recordOrderTransition, preparePayment, authorizePayment },
    }),
    await Worker.create({ connection, namespace, taskQueue: ceilingTaskQueues.inventory, activities: { reserveStock } }),
    await Worker.create({ connection, namespace, taskQueue: ceilingTaskQueues.fulfillment, activities: { scheduleShipment } }),
  ];
  let running: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  return {
    run() {
      running ??= Promise.all(workers.map((worker) => worker.run())).then(() => undefined);
      return running;
    },
    shutdown() {
      stopped ??= (async () => {
        // The SDK's runtime also shuts running workers down on SIGINT/SIGTERM, so some may be stopping already.
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await running?.catch(() => undefined);
        // Workers that never ran keep their hold on the connection; the process exit releases it.
        if (running) await connection.close();
      })();
      return stopped;
    },
  };
}

/**
 * Starts one ceiling order like the order service starts a saga. A run cut short leaves no ceiling
 * workflow open for ever: each gives up after two minutes.
 */
export function startCeilingOrder(client: Client, input: OrderWorkflowInput) {
  return client.workflow.start<typeof CeilingOrderWorkflow>('CeilingOrderWorkflow', {
    workflowId: `bench-order-${input.orderId}`,
    taskQueue: ceilingTaskQueues.orders,
    args: [input],
    workflowExecutionTimeout: '2 minutes',
    typedSearchAttributes: [
      { key: OrderStatusAttribute, value: 'PENDING' },
      { key: CustomerIdAttribute, value: input.order.customerId },
      { key: PaymentChannelAttribute, value: input.order.payment.channel },
    ],
  });
}
