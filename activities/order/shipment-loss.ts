/**
 * What ShipmentWorkflow asks of the order service (task queue `orders`, run by the order worker,
 * which holds the orders and the payment lines): the order's status, so the carrier takes a parcel
 * only once its saga has completed (until then the saga may still undo the shipment); and the
 * after-sale compensation: when the carrier loses a parcel, the order's refund. The payment is refunded through the payment line, then the order moves COMPLETED →
 * REFUNDED (`order.v1.refunded`). Every step is idempotent, so the workflow retries until done.
 * docs/saga.md#a-shipments-life.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { EventPublisher } from '../../platform/kafka.js';
import { logger } from '../../platform/logger.js';
import { businessMetrics, compensationReason } from '../../platform/telemetry/metrics.js';
import { PaymentGatewayError } from '../payment/gateway.js';
import type { OrderStatus } from '../../platform/contracts/order.js';
import { OrderNotRefundableError, type OrderStore } from './store.js';

/** The line that takes refunds (payment-sim's HTTP API: activities/payment/http-gateway.ts). */
export interface PaymentRefunds {
  refund(payment: { orderId: string; paymentId: string; reason: string }): Promise<{ refundedAt: string }>;
}

const log = logger('order');

export function createShipmentLossActivities(store: OrderStore, refunds: PaymentRefunds, events: EventPublisher) {
  return {
    /** The order's status as the order service recorded it. */
    async orderStatusForShipment(input: { orderId: string }): Promise<OrderStatus> {
      const order = await store.find(input.orderId);
      if (!order) throw ApplicationFailure.nonRetryable(`order ${input.orderId} does not exist`, 'UnknownOrder');
      return order.status;
    },

    async refundLostShipment(input: { orderId: string; customerId: string; shipmentId: string; reason: string }): Promise<void> {
      const order = await store.find(input.orderId);
      if (!order) throw ApplicationFailure.nonRetryable(`order ${input.orderId} does not exist`, 'UnknownOrder');
      if (order.paymentId === null || order.amountMinor === null || order.currency === null) {
        throw ApplicationFailure.nonRetryable(`order ${input.orderId} holds no payment to refund`, 'OrderNotRefundable');
      }
      // Checked before the gateway is asked: money goes back only for an order whose saga completed.
      if (order.status !== 'COMPLETED' && order.status !== 'REFUNDED') {
        throw ApplicationFailure.nonRetryable(new OrderNotRefundableError(order.orderId, order.status).message, 'OrderNotRefundable');
      }
      try {
        await refunds.refund({ orderId: order.orderId, paymentId: order.paymentId, reason: input.reason });
        const { refunded } = await store.recordRefund(order.orderId, input.reason);
        await events.emit('order.v1.refunded', {
          orderId: order.orderId,
          customerId: order.customerId,
          paymentId: order.paymentId,
          channel: order.paymentChannel,
          amountMinor: order.amountMinor,
          currency: order.currency,
          reason: input.reason,
          acceptedAt: order.acceptedAt,
        });
        if (refunded) {
          businessMetrics().orderCompensations.add(1, { compensation: 'refund_payment', reason: compensationReason('SHIPMENT_LOST') });
          log.info(
            { orderId: order.orderId, shipmentId: input.shipmentId, paymentId: order.paymentId },
            'order REFUNDED: the parcel was lost',
          );
        }
      } catch (error) {
        if (error instanceof OrderNotRefundableError || (error instanceof PaymentGatewayError && !error.retryable)) {
          throw ApplicationFailure.nonRetryable(error.message, 'OrderNotRefundable');
        }
        throw error;
      }
    },
  };
}

export type ShipmentLossActivities = ReturnType<typeof createShipmentLossActivities>;
