/**
 * CeilingOrderWorkflow: OrderWorkflowV5's happy path (with its one patch, stock-committed-at-pickup)
 * with the business taken out, for the saga benchmark's ceiling (bench/saga-throughput.ts). It asks
 * the Temporal server for the same commands in the same order — six local activities, one patch
 * marker, three activities on three task queues, four OrderStatus upserts — with activities that do
 * nothing (bench/saga-ceiling-worker.ts). What it can reach is the most this Temporal dev server and
 * SDK can do with the saga's shape on this machine; the real saga can only be slower.
 *
 * Keep it in step with workflows/order.ts: a step added there must be added here, or the ceiling
 * stops being the saga's.
 */
import { patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderLine, OrderStatus } from '../platform/contracts/order.js';
import { OrderStatusAttribute } from '../platform/contracts/search-attributes.js';
import type { OrderWorkflowInput } from '../platform/contracts/workflow.js';

/** The ceiling's own task queues, so its tasks never reach the estate's workers (and the other way round). */
export const ceilingTaskQueues = {
  orders: 'bench-orders',
  inventory: 'bench-inventory',
  fulfillment: 'bench-fulfillment',
} as const;

/** The saga's activities by name, with inputs of the same size and answers that carry what the next step reads. */
export interface CeilingActivities {
  recordOrderAccepted(input: OrderWorkflowInput): Promise<void>;
  recordOrderTransition(input: { orderId: string; status: OrderStatus }): Promise<void>;
  preparePayment(input: { orderId: string; subtotalMinor: number; currency: string }): Promise<{ amountMinor: number }>;
  reserveStock(input: { orderId: string; customerId: string; items: OrderLine[] }): Promise<{ totalMinor: number; currency: string }>;
  authorizePayment(input: { orderId: string; cardToken: string; amountMinor: number; currency: string }): Promise<{ paymentId: string }>;
  scheduleShipment(input: {
    orderId: string;
    customerId: string;
    items: OrderLine[];
    shippingAddress: OrderWorkflowInput['order']['shippingAddress'];
  }): Promise<{ shipmentId: string }>;
}

// Timeouts and retry policies as in workflows/order.ts.
const retryUntilDone = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds' } as const;

const bookkeeping = proxyLocalActivities<Pick<CeilingActivities, 'recordOrderAccepted' | 'recordOrderTransition' | 'preparePayment'>>({
  startToCloseTimeout: '10 seconds',
  retry: retryUntilDone,
});

const inventory = proxyActivities<Pick<CeilingActivities, 'reserveStock'>>({
  taskQueue: ceilingTaskQueues.inventory,
  startToCloseTimeout: '10 seconds',
  retry: retryUntilDone,
});

const authorization = proxyActivities<Pick<CeilingActivities, 'authorizePayment'>>({
  taskQueue: ceilingTaskQueues.orders,
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '8 seconds', maximumAttempts: 5 },
});

const fulfillment = proxyActivities<Pick<CeilingActivities, 'scheduleShipment'>>({
  taskQueue: ceilingTaskQueues.fulfillment,
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});

export async function CeilingOrderWorkflow(input: OrderWorkflowInput): Promise<{ status: OrderStatus }> {
  const { orderId, order } = input;
  const customer = { orderId, customerId: order.customerId };

  async function enter(status: OrderStatus): Promise<void> {
    await bookkeeping.recordOrderTransition({ orderId, status });
    upsertSearchAttributes([{ key: OrderStatusAttribute, value: status }]);
  }

  await bookkeeping.recordOrderAccepted(input);
  const reservation = await inventory.reserveStock({ ...customer, items: order.items });
  await enter('STOCK_RESERVED');
  const prepared = await bookkeeping.preparePayment({ orderId, subtotalMinor: reservation.totalMinor, currency: reservation.currency });
  await authorization.authorizePayment({
    orderId,
    cardToken: 'cardToken' in order.payment ? order.payment.cardToken : '',
    amountMinor: prepared.amountMinor,
    currency: reservation.currency,
  });
  await enter('PAYMENT_AUTHORIZED');
  await fulfillment.scheduleShipment({ ...customer, items: order.items, shippingAddress: order.shippingAddress });
  // The stock is committed at pickup, in the shipment's workflow (not part of the ceiling).
  if (patched('stock-committed-at-pickup')) await enter('SHIPMENT_SCHEDULED');
  await enter('COMPLETED');
  return { status: 'COMPLETED' };
}
