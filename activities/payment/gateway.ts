/**
 * What the saga needs from a card payment gateway, whatever the line: the modern HTTP API or the
 * legacy TCP 전문 channel. Both clients implement this; `authorizePayment` picks one per order.
 */
import type { PaymentChannel } from '../../platform/contracts/order.js';

export interface AuthorizationRequest {
  orderId: string;
  /** Same key ⇒ same answer: a retried authorization can never charge twice. */
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
  cardNumber: string;
  installmentMonths?: number;
}

/** `voided` is false when the gateway held no approval for the order (nothing was charged). */
export interface VoidResult {
  voided: boolean;
  paymentId?: string;
}

export type AuthorizationResult =
  | { outcome: 'approved'; paymentId: string; approvalCode: string; approvedAt: string }
  | { outcome: 'declined'; declineCode: string; reason: string };

export interface PaymentGateway {
  readonly channel: PaymentChannel;
  authorize(request: AuthorizationRequest): Promise<AuthorizationResult>;
  /**
   * Cancels an order's approval (before settlement). Idempotent: voiding a voided payment succeeds.
   * Without a `paymentId` it cancels by order id (망취소, a net cancel): whatever approval the
   * gateway holds for the order, which covers an approval whose answer never reached us.
   */
  void(payment: { orderId: string; paymentId?: string; amountMinor: number; reason: string }): Promise<VoidResult>;
  close?(): Promise<void>;
}

/**
 * The gateway could not give an answer (unreachable, timed out, 5xx, system error). `retryable`
 * tells the activity whether Temporal should try again; an unknown outcome has already been
 * reversed by the client before this is thrown.
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
