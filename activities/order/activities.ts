/**
 * Order activities (task queue `orders`): the order's own record of the saga. Each transition is
 * written to the orders database and then published; both steps are idempotent, so a retry after a
 * crash between them records nothing twice and republishes the same event id.
 *
 * COMPLETED also starts the shipment's run on the carrier's clock (workflows/shipment.ts): only now
 * is it certain that the saga will not undo the shipment, so the run never has to ask. The start is
 * idempotent too (the shipment id is its workflow id), and the saga retries this step until done,
 * so a completed order's shipment always gets its run (docs/saga.md#a-shipments-life).
 */
import { isTerminal } from '../../platform/contracts/order.js';
import { type CarrierClock, shipmentIdFor } from '../../platform/contracts/shipment.js';
import type { OrderTransition, OrderWorkflowInput } from '../../platform/contracts/workflow.js';
import type { EventPublisher } from '../../platform/kafka.js';
import { logger } from '../../platform/logger.js';
import type { ShipmentRuns } from '../../platform/shipment-runs.js';
import { businessMetrics } from '../../platform/telemetry/metrics.js';
import type { OrderRecord, OrderStore } from './store.js';

const log = logger('order');

/** `order.completed`, and the end-to-end time of every order that reached its end (also logged, in the order's trace). */
function countTransition(order: OrderRecord, status: OrderTransition['status']): void {
  if (!isTerminal(status)) return;
  const metrics = businessMetrics();
  const channel = { 'payment.channel': order.paymentChannel };
  if (status === 'COMPLETED') metrics.orderCompleted.add(1, channel);
  const seconds = (Date.now() - Date.parse(order.acceptedAt)) / 1000;
  if (seconds >= 0) metrics.orderDuration.record(seconds, { ...channel, 'order.status': status });
  log.info(
    { orderId: order.orderId, status, paymentChannel: order.paymentChannel, durationMs: Math.round(seconds * 1000) },
    `order ${status}`,
  );
}

export function createOrderActivities(
  store: OrderStore,
  events: EventPublisher,
  shipments: { runs: Pick<ShipmentRuns, 'start'>; clock: CarrierClock },
) {
  async function publishTransition(order: OrderRecord, transition: OrderTransition): Promise<void> {
    const ref = { orderId: order.orderId, customerId: order.customerId };
    const payment = { channel: order.paymentChannel, amountMinor: order.amountMinor ?? 0, currency: order.currency ?? 'KRW' };
    switch (transition.status) {
      case 'PAYMENT_AUTHORIZED':
        await events.emit('order.v1.payment_authorized', {
          ...ref,
          ...payment,
          paymentId: transition.paymentId,
          approvalCode: transition.approvalCode,
        });
        return;
      case 'PAYMENT_DECLINED':
        await events.emit('order.v1.payment_declined', {
          ...ref,
          ...payment,
          declineCode: transition.declineCode,
          reason: transition.reason,
        });
        return;
      case 'COMPLETED':
        await events.emit('order.v1.completed', { ...ref, ...payment, acceptedAt: order.acceptedAt });
        return;
      case 'REJECTED':
        await events.emit('order.v1.rejected', { ...ref, reason: transition.reason, acceptedAt: order.acceptedAt });
        return;
      case 'FAILED':
        await events.emit('order.v1.failed', { ...ref, reason: transition.reason, acceptedAt: order.acceptedAt });
        return;
      case 'CANCELLED':
        await events.emit('order.v1.cancelled', { ...ref, reason: transition.reason, acceptedAt: order.acceptedAt });
        return;
      case 'STOCK_RESERVED':
      case 'SHIPMENT_SCHEDULED':
        return; // the inventory and fulfillment services publish these steps themselves
    }
  }

  return {
    /** Step 1: the order exists as PENDING (the API usually wrote it already) → `order.v1.created`. */
    async recordOrderAccepted(input: OrderWorkflowInput): Promise<void> {
      const { orderId, order, acceptedAt } = input;
      await store.insertPending(orderId, order, acceptedAt);
      await events.emit('order.v1.created', {
        orderId,
        customerId: order.customerId,
        items: order.items,
        paymentChannel: order.payment.channel,
        shippingCountry: order.shippingAddress.country,
        acceptedAt,
      });
      businessMetrics().ordersCreated.add(1, { 'payment.channel': order.payment.channel });
    },

    async recordOrderTransition(input: { orderId: string; transition: OrderTransition }): Promise<void> {
      const { transition } = input;
      const order = await store.recordStatus(input.orderId, {
        status: transition.status,
        reason: 'reason' in transition ? transition.reason : undefined,
        amountMinor: 'amountMinor' in transition ? transition.amountMinor : undefined,
        currency: 'currency' in transition ? transition.currency : undefined,
        paymentId: 'paymentId' in transition ? transition.paymentId : undefined,
      });
      await publishTransition(order, transition);
      if (transition.status === 'COMPLETED') {
        await shipments.runs.start({
          shipmentId: shipmentIdFor(order.orderId),
          orderId: order.orderId,
          customerId: order.customerId,
          clock: shipments.clock,
        });
      }
      countTransition(order, transition.status);
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
