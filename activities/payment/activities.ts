/**
 * Payment activities (task queue `orders`, run by the order worker): prepare, authorize over the
 * order's channel, and void as a compensation.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { CardVaultClient, CardVaultError } from '../../platform/card-vault.js';
import { config } from '../../platform/config.js';
import type { PaymentChannel, SagaOrder } from '../../platform/contracts/order.js';
import type { EventPublisher } from '../../platform/kafka.js';
import type { CompensationCause } from '../../platform/contracts/failure-reasons.js';
import { businessMetrics, compensationReason } from '../../platform/telemetry/metrics.js';
import { type AuthorizationResult, type PaymentGateway, PaymentGatewayError, type VoidResult } from './gateway.js';
import { PaymentPreparation, type PreparationOutcome } from './preparation.js';
import { paymentCallBudget } from './time-budget.js';

/** Used when the activity runs outside a worker (no Temporal context): the saga's own setting. */
const DEFAULT_START_TO_CLOSE_MS = 15_000;

export interface AuthorizePaymentInput {
  orderId: string;
  channel: PaymentChannel;
  /** The card vault's token: what every saga started since tokenization passes (docs/decisions.md). */
  cardToken?: string;
  /** The card number itself: only sagas started before tokenization pass it; it is tokenized here first. */
  cardNumber?: string;
  amountMinor: number;
  currency: string;
}

/**
 * `vault`: where a saga started before tokenization gets a token for the card number its input
 * holds (default: PAYMENT_VAULT_URL), so that no payment line ever carries a number.
 */
export function createPaymentActivities(
  gateways: Record<PaymentChannel, PaymentGateway>,
  events: EventPublisher,
  vault = new CardVaultClient(config().PAYMENT_VAULT_URL, config().HTTP_CLIENT_TIMEOUT_MS),
) {
  const preparation = new PaymentPreparation();

  /** The token to authorize with; an older saga's card number is exchanged for one (an unreachable vault is retried). */
  async function cardTokenOf(input: AuthorizePaymentInput): Promise<string> {
    if (input.cardToken !== undefined) return input.cardToken;
    if (input.cardNumber === undefined)
      throw ApplicationFailure.nonRetryable(`order ${input.orderId}: the authorization names no card`, 'PaymentGatewayRejected');
    try {
      return (await vault.tokenize(input.cardNumber)).cardToken;
    } catch (error) {
      if (error instanceof CardVaultError && error.status < 500) {
        throw ApplicationFailure.nonRetryable(`order ${input.orderId}: ${error.message}`, 'PaymentGatewayRejected');
      }
      throw error;
    }
  }

  function gatewayFor(channel: PaymentChannel): PaymentGateway {
    return gateways[channel];
  }

  return {
    preparePayment(input: { orderId: string; order: SagaOrder; subtotalMinor: number; currency: string }): Promise<PreparationOutcome> {
      return preparation.prepare(input.order, input.subtotalMinor, input.currency);
    },

    /**
     * A decline is an answer, returned to the saga; a gateway that gives no answer is an error:
     * retryable ones are retried by Temporal under the saga's policy, the rest fail the step.
     *
     * Each attempt authorizes under its own attempt key (`<orderId>:<attempt>`, Idempotency-Key
     * `authorize:<orderId>:<attempt>`). Attempt n first reverses attempts 1..n-1 (idempotent at the
     * gateway), so a reversal an earlier attempt lost is sent again and at most one attempt's
     * approval can ever stand; if any of those reversals fails, n asks for nothing and fails
     * retryably. Every call's timeout comes out of this attempt's start-to-close timeout.
     */
    async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizationResult> {
      const { attempt, startToCloseTimeoutMs } = activityInfo();
      const budget = paymentCallBudget(startToCloseTimeoutMs);
      const gateway = gatewayFor(input.channel);
      const cardToken = await cardTokenOf(input);
      try {
        const earlier = Array.from({ length: attempt - 1 }, (_, index) => index + 1);
        await Promise.all(
          earlier.map((previous) =>
            gateway.reverseAttempt(
              { orderId: input.orderId, attempt: previous, amountMinor: input.amountMinor, reason: `superseded by attempt ${attempt}` },
              budget.priorReversalsMs,
            ),
          ),
        );
        return await gateway.authorize(
          {
            orderId: input.orderId,
            attempt,
            idempotencyKey: `authorize:${input.orderId}:${attempt}`,
            amountMinor: input.amountMinor,
            currency: input.currency,
            cardToken,
          },
          // Each call ends within its share (waiting for a connection included), so the three in a row
          // end inside the attempt's timeout.
          { requestMs: budget.requestMs, reversalMs: budget.reversalMs },
        );
      } catch (error) {
        if (error instanceof PaymentGatewayError && !error.retryable) {
          throw ApplicationFailure.nonRetryable(error.message, 'PaymentGatewayRejected');
        }
        throw error;
      }
    },

    /**
     * Compensation: voids the order's approval, by payment id when the saga has one, else by order
     * id (an approval whose answer was lost). A void by order id also leaves an order tombstone at
     * the gateway: an authorization attempt still on its way (a zombie of a cancelled step) is
     * refused afterwards instead of charging. Voiding twice is harmless; an order with no approval
     * has nothing voided and no event.
     */
    async voidPayment(
      input: { orderId: string; customerId: string; channel: PaymentChannel; paymentId?: string; amountMinor: number } & CompensationCause,
    ): Promise<VoidResult> {
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
          reason: compensationReason(input.reasonCode),
        });
      }
      return result;
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

/** The attempt number and timeout of the running activity; attempt 1 and the saga's timeout outside a worker. */
function activityInfo(): { attempt: number; startToCloseTimeoutMs: number } {
  try {
    const { attempt, startToCloseTimeoutMs } = Context.current().info;
    return { attempt, startToCloseTimeoutMs: startToCloseTimeoutMs || DEFAULT_START_TO_CLOSE_MS };
  } catch {
    return { attempt: 1, startToCloseTimeoutMs: DEFAULT_START_TO_CLOSE_MS };
  }
}
