/**
 * OrderWorkflow: the life of one order as a saga.
 *
 *   record PENDING → reserve stock → prepare payment → authorize → schedule shipment → COMPLETED
 *
 * Every step that changes another service registers its compensation; when a later step fails, the
 * compensations run in reverse order, in a scope that a cancellation cannot interrupt.
 */
import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activities/fulfillment/activities.js';
import type { InventoryActivities } from '../activities/inventory/activities.js';
import type { OrderActivities, OrderTransition } from '../activities/order/activities.js';
import type { PaymentActivities } from '../activities/payment/activities.js';
import type { OrderStatus } from '../platform/contracts/order.js';
import { OrderStatusAttribute } from '../platform/contracts/search-attributes.js';
import { type OrderState, type OrderWorkflowInput, taskQueues } from '../platform/contracts/workflow.js';

/** Bookkeeping steps: quick, and retried until they succeed (a database or Kafka blip must not fail an order). */
const orders = proxyActivities<OrderActivities>({
  taskQueue: taskQueues.orders,
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

const inventory = proxyActivities<InventoryActivities>({
  taskQueue: taskQueues.inventory,
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

const payments = proxyActivities<Pick<PaymentActivities, 'preparePayment' | 'voidPayment'>>({
  taskQueue: taskQueues.orders,
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * The authorization policy: a gateway that errors or times out is tried 5 times over about 15 s
 * (1, 2, 4, 8 s apart); then the saga gives up, compensates and ends FAILED.
 */
const authorization = proxyActivities<Pick<PaymentActivities, 'authorizePayment'>>({
  taskQueue: taskQueues.orders,
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '8 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['PaymentGatewayRejected'],
  },
});

const fulfillment = proxyActivities<FulfillmentActivities>({
  taskQueue: taskQueues.fulfillment,
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});

export const orderStateQuery = defineQuery<OrderState>('orderState');

export async function OrderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const { orderId, order } = input;
  const customer = { orderId, customerId: order.customerId };
  const state: OrderState = { orderId, status: 'PENDING', history: [{ status: 'PENDING', at: input.acceptedAt }] };
  setHandler(orderStateQuery, () => state);

  const compensations: { name: string; run: (reason: string) => Promise<unknown> }[] = [];

  async function enter(transition: OrderTransition): Promise<void> {
    await orders.recordOrderTransition({ orderId, transition });
    const reason = 'reason' in transition ? transition.reason : undefined;
    state.status = transition.status;
    state.history.push({ status: transition.status, at: new Date().toISOString(), ...(reason ? { reason } : {}) });
    if (reason && transition.status !== 'COMPLETED') state.failureReason = reason;
    upsertSearchAttributes([{ key: OrderStatusAttribute, value: transition.status }]);
  }

  /** Undoes what was done, newest first. Nothing can cancel this once it has begun. */
  async function compensate(reason: string): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (const compensation of [...compensations].reverse()) await compensation.run(reason);
    });
  }

  async function end(status: Extract<OrderStatus, 'REJECTED' | 'FAILED' | 'CANCELLED'>, reason: string): Promise<OrderState> {
    await CancellationScope.nonCancellable(() => enter({ status, reason }));
    return state;
  }

  await orders.recordOrderAccepted(input);

  const reservation = await inventory.reserveStock({ ...customer, items: order.items });
  if (reservation.outcome === 'rejected') return end('REJECTED', reservation.reason);
  compensations.push({ name: 'releaseStock', run: (reason) => inventory.releaseStock({ ...customer, reason }) });
  const { totalMinor: subtotalMinor, currency } = reservation.reservation;

  try {
    await enter({ status: 'STOCK_RESERVED', amountMinor: subtotalMinor, currency });

    const prepared = await payments.preparePayment({ order, subtotalMinor, currency });
    if (prepared.outcome === 'declined') {
      await compensate(prepared.reason);
      await enter({ status: 'PAYMENT_DECLINED', declineCode: prepared.declineCode, reason: prepared.reason });
      return state;
    }
    state.amountMinor = prepared.amountMinor;

    const authorized = await authorization.authorizePayment({
      orderId,
      channel: order.payment.channel,
      cardNumber: order.payment.cardNumber,
      amountMinor: prepared.amountMinor,
      currency,
    });
    if (authorized.outcome === 'declined') {
      await compensate(authorized.reason);
      await enter({ status: 'PAYMENT_DECLINED', declineCode: authorized.declineCode, reason: authorized.reason });
      return state;
    }
    state.paymentId = authorized.paymentId;
    compensations.push({
      name: 'voidPayment',
      run: (reason) =>
        payments.voidPayment({
          ...customer,
          channel: order.payment.channel,
          paymentId: authorized.paymentId,
          amountMinor: prepared.amountMinor,
          reason,
        }),
    });
    await enter({ status: 'PAYMENT_AUTHORIZED', paymentId: authorized.paymentId, approvalCode: authorized.approvalCode });

    const shipment = await fulfillment.scheduleShipment({
      ...customer,
      items: order.items,
      shippingAddress: order.shippingAddress,
      orderDate: input.acceptedAt.slice(0, 10),
    });
    state.shipmentId = shipment.shipmentId;
    await enter({ status: 'SHIPMENT_SCHEDULED', shipmentId: shipment.shipmentId });

    await inventory.commitStock({ orderId });
    await enter({ status: 'COMPLETED' });
    return state;
  } catch (error) {
    const reason = failureReason(error);
    await compensate(reason);
    if (isCancellation(error)) return end('CANCELLED', reason);
    return end('FAILED', reason);
  }
}

/** The most specific message in a Temporal failure chain: "activity failed" says little, its cause says why. */
function failureReason(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (current instanceof Error && current.cause) {
    current = current.cause;
    if (current instanceof ApplicationFailure || current instanceof Error) message = current.message;
  }
  return message;
}
