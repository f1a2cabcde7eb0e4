/**
 * Payment activities (task queue `orders`, run by the order worker): prepare, authorize over the
 * order's channel, and void as a compensation.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { OrderRequest, PaymentChannel } from '../../platform/contracts/order.js';
import type { EventPublisher } from '../../platform/kafka.js';
import { businessMetrics, compensationReason } from '../../platform/telemetry/metrics.js';
import { type AuthorizationResult, type PaymentGateway, PaymentGatewayError, type VoidResult } from './gateway.js';
import { PaymentPreparation, type PreparationOutcome } from './preparation.js';

export interface AuthorizePaymentInput {
  orderId: string;
  channel: PaymentChannel;
  cardNumber: string;
  amountMinor: number;
  currency: string;
}

export function createPaymentActivities(gateways: Record<PaymentChannel, PaymentGateway>, events: EventPublisher) {
  const preparation = new PaymentPreparation();

  function gatewayFor(channel: PaymentChannel): PaymentGateway {
    return gateways[channel];
  }

  return {
    preparePayment(input: { orderId: string; order: OrderRequest; subtotalMinor: number; currency: string }): Promise<PreparationOutcome> {
      return preparation.prepare(input.order, input.subtotalMinor, input.currency);
    },

    /**
     * A decline is an answer, returned to the saga; a gateway that gives no answer is an error:
     * retryable ones are retried by Temporal under the saga's policy, the rest fail the step.
     */
    async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizationResult> {
      try {
        return await gatewayFor(input.channel).authorize({
          orderId: input.orderId,
          idempotencyKey: `authorize:${input.orderId}`,
          amountMinor: input.amountMinor,
          currency: input.currency,
          cardNumber: input.cardNumber,
        });
      } catch (error) {
        if (error instanceof PaymentGatewayError && !error.retryable) {
          throw ApplicationFailure.nonRetryable(error.message, 'PaymentGatewayRejected');
        }
        throw error;
      }
    },

    /**
     * Compensation: voids the order's approval, by payment id when the saga has one, else by order
     * id (an approval whose answer was lost). Voiding twice is harmless; an order with no approval
     * has nothing voided and no event.
     */
    async voidPayment(input: {
      orderId: string;
      customerId: string;
      channel: PaymentChannel;
      paymentId?: string;
      amountMinor: number;
      reason: string;
    }): Promise<VoidResult> {
      const result = await gatewayFor(input.channel).void(input);
      const paymentId = result.paymentId ?? input.paymentId;
      if (result.voided && paymentId) {
        await events.emit('payment.v1.voided', {
          orderId: input.orderId,
          customerId: input.customerId,
          paymentId,
          channel: input.channel,
          reason: input.reason,
        });
        businessMetrics().orderCompensations.add(1, {
          compensation: 'void_payment',
          reason: compensationReason(input.reason),
        });
      }
      return result;
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
