/**
 * What the two payment lines do alike, written once. The HTTP client (http-gateway.ts) and the TCP
 * 전문 client (tcp/gateway.ts) differ in how a request travels; the flow around it is the same:
 *
 * - an authorization gets its call timeouts from the caller's budget or the line's default, and is
 *   counted once under `payment.authorized` by channel and outcome, whatever its end;
 * - an authorization whose answer never came has an unknown outcome: its attempt is reversed
 *   (망취소) before a retryable error is reported, and a reversal that fails is logged, not thrown
 *   (the next attempt reverses this one again before it asks for an approval);
 * - every call is named the same way in errors and logs.
 *
 * A line implements `requestAuthorization`, `reverseAttempt` and `void`.
 */
import type { Logger } from 'pino';
import { businessMetrics } from '../../platform/telemetry/metrics.js';
import {
  type AttemptReversal,
  type AuthorizationRequest,
  type AuthorizationResult,
  type CallTimeouts,
  type PaymentGateway,
  PaymentGatewayError,
  type VoidResult,
} from './gateway.js';

/** How errors and logs name each call. */
export const describeCall = {
  authorization: (request: Pick<AuthorizationRequest, 'orderId' | 'attempt'>) =>
    `authorization of order ${request.orderId} (attempt ${request.attempt})`,
  netCancel: (reversal: Pick<AttemptReversal, 'orderId' | 'attempt'>) =>
    `net cancel of attempt ${reversal.attempt} of order ${reversal.orderId}`,
  void: (payment: { orderId: string; paymentId?: string }) =>
    payment.paymentId === undefined
      ? `void by order id of order ${payment.orderId}`
      : `void of payment ${payment.paymentId} (order ${payment.orderId})`,
};

export abstract class PaymentLineClient implements PaymentGateway {
  abstract readonly channel: PaymentGateway['channel'];
  protected abstract readonly log: Logger;
  /** A call's timeout when the caller gives none. */
  protected abstract readonly defaultTimeoutMs: number;

  async authorize(request: AuthorizationRequest, timeouts: Partial<CallTimeouts> = {}): Promise<AuthorizationResult> {
    let outcome: AuthorizationResult['outcome'] | 'error' = 'error';
    try {
      const result = await this.requestAuthorization(request, {
        requestMs: timeouts.requestMs ?? this.defaultTimeoutMs,
        reversalMs: timeouts.reversalMs ?? this.defaultTimeoutMs,
      });
      outcome = result.outcome;
      return result;
    } finally {
      businessMetrics().paymentClientAuthorizations.add(1, { channel: this.channel, outcome });
    }
  }

  /** One authorization over the line: an answer (approved, declined), or a PaymentGatewayError. */
  protected abstract requestAuthorization(request: AuthorizationRequest, timeouts: CallTimeouts): Promise<AuthorizationResult>;

  abstract reverseAttempt(reversal: AttemptReversal, timeoutMs?: number): Promise<VoidResult>;

  abstract void(payment: { orderId: string; paymentId?: string; amountMinor: number; reason: string }): Promise<VoidResult>;

  /**
   * The authorization got no answer (`cause`): reverses its attempt, then gives the retryable error
   * for the caller to throw. `reversedWith` names how the line reversed it, e.g. ` (0420)`.
   */
  protected async noAnswer(
    request: AuthorizationRequest,
    cause: string,
    timeoutMs: number,
    reversedWith = '',
  ): Promise<PaymentGatewayError> {
    const { orderId, attempt, amountMinor } = request;
    try {
      const result = await this.reverseAttempt({ orderId, attempt, amountMinor, reason: `net cancel: ${cause}` }, timeoutMs);
      this.log.warn({ orderId, attempt, cause, ...result }, 'authorization outcome unknown; the attempt was reversed');
    } catch (error) {
      this.log.error({ orderId, attempt, cause, err: error }, 'authorization outcome unknown and the reversal failed');
    }
    return new PaymentGatewayError(
      this.channel,
      true,
      `${describeCall.authorization(request)} got no answer (${cause}); the attempt was reversed${reversedWith}, retry`,
    );
  }
}
