/**
 * What the saga needs from a card payment gateway, whatever the line: the modern HTTP API or the
 * legacy TCP 전문 channel. Both clients implement this; `authorizePayment` picks one per order.
 *
 * Every authorization names its attempt (the activity's attempt number), and a reversal after an
 * unknown outcome names the attempt it cleans up, never just the order: a late reversal of attempt 1
 * cannot cancel the approval attempt 2 obtained (docs/payment-telegram.md#attempts-and-reversals).
 */
import type { PaymentChannel } from '../../platform/contracts/order.js';

export interface AuthorizationRequest {
  orderId: string;
  /** The authorization attempt, 1, 2, …: with the order id, the attempt key `<orderId>:<attempt>`. */
  attempt: number;
  /** Same key ⇒ same answer: a retried authorization can never charge twice. */
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
  /** The card vault's token (docs/decisions.md): payment-sim turns it back into the card; no line carries the number. */
  cardToken: string;
  installmentMonths?: number;
}

/** How long one call may take; the activity derives both from its own timeout (time-budget.ts). */
export interface CallTimeouts {
  /** The authorization request itself, waiting for a connection included. */
  requestMs: number;
  /** The reversal sent when the request's outcome is unknown. */
  reversalMs: number;
}

/** `voided` is false when the gateway held no approval for the order (nothing was charged). */
export interface VoidResult {
  voided: boolean;
  paymentId?: string;
}

export type AuthorizationResult =
  | { outcome: 'approved'; paymentId: string; approvalCode: string; approvedAt: string }
  | { outcome: 'declined'; declineCode: string; reason: string };

export interface AttemptReversal {
  orderId: string;
  attempt: number;
  amountMinor: number;
  reason: string;
}

export interface PaymentGateway {
  readonly channel: PaymentChannel;
  /**
   * An answer that never comes (timeout, lost connection) has an unknown outcome: the client
   * reverses this attempt (`reverseAttempt`) before throwing a retryable error.
   */
  authorize(request: AuthorizationRequest, timeouts?: Partial<CallTimeouts>): Promise<AuthorizationResult>;
  /**
   * 망취소 of one attempt: reverses that attempt's approval if the gateway booked one, and makes the
   * gateway refuse the attempt's request should it arrive later. Idempotent; `voided` tells whether
   * an approval was cancelled (now or before).
   */
  reverseAttempt(reversal: AttemptReversal, timeoutMs?: number): Promise<VoidResult>;
  /**
   * Cancels an order's approval (before settlement). Idempotent: voiding a voided payment succeeds.
   * Without a `paymentId` it voids by order id: whatever approval the gateway holds for the order,
   * which covers an approval whose answer never reached us, and the gateway refuses every later
   * authorization of the order (an order tombstone), so an attempt still on its way cannot charge.
   */
  void(payment: { orderId: string; paymentId?: string; amountMinor: number; reason: string }): Promise<VoidResult>;
  close?(): Promise<void>;
}

/**
 * The gateway could not give an answer (unreachable, timed out, 5xx, system error), or refused the
 * request. `retryable` tells the activity whether Temporal should try again; an unknown outcome has
 * already been reversed by the client before this is thrown.
 */
export class PaymentGatewayError extends Error {
  constructor(
    readonly channel: PaymentChannel,
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'PaymentGatewayError';
  }
}
