/**
 * The simulator's in-memory book of payments, shared by the HTTP API and the TCP 전문 server, plus
 * the answers stored under HTTP idempotency keys. Everything is lost when the process stops, which
 * suits a simulator: a fresh start is a fresh acquirer.
 */
import { randomUUID } from 'node:crypto';
import type { PaymentChannel } from '../platform/contracts/order.js';

/**
 * `voided` and `refunded` are the merchant cancelling a payment it knew about; `reversed` is a
 * 망취소 (net cancel) of an approval whose answer the merchant never received. A reversal makes the
 * approval as if it never happened: the order may be authorized afresh.
 */
export type PaymentStatus = 'authorized' | 'voided' | 'refunded' | 'reversed';

export interface Payment {
  paymentId: string;
  orderId: string;
  status: PaymentStatus;
  approvalCode: string;
  approvedAt: string;
  amountMinor: number;
  currency: string;
  cardLast4: string;
  installmentMonths: number;
  channel: PaymentChannel;
  voidedAt?: string;
  refundedAt?: string;
  reversedAt?: string;
  cancelReason?: string;
}

export interface NewApproval {
  orderId: string;
  amountMinor: number;
  currency: string;
  cardNumber: string;
  installmentMonths: number;
  channel: PaymentChannel;
}

/** The first answer given under an idempotency key, replayed verbatim to every retry with that key. */
export interface StoredAnswer {
  /** The request the key was first used with, canonicalised; a different request under the key is a conflict. */
  fingerprint: string;
  status: number;
  body: unknown;
  paymentId?: string;
}

export type CancelResult =
  | { outcome: 'done'; payment: Payment }
  | { outcome: 'not_found' }
  | { outcome: 'conflict'; payment: Payment; detail: string };

export type ReversalResult = Exclude<CancelResult, { outcome: 'not_found' }> | { outcome: 'nothing' };

export class PaymentLedger {
  private readonly payments = new Map<string, Payment>();
  /** The order's payment that still counts (not reversed): at most one per order, so never a second charge. */
  private readonly standingByOrder = new Map<string, Payment>();
  /** An order's reversed payments, oldest first; kept apart so the common order costs one map entry. */
  private readonly reversedByOrder = new Map<string, Payment[]>();
  private readonly answers = new Map<string, StoredAnswer>();
  private readonly answerKeysByPayment = new Map<string, string[]>();

  recordApproval(approval: NewApproval, now = new Date()): Payment {
    const payment: Payment = {
      paymentId: newPaymentId(),
      orderId: approval.orderId,
      status: 'authorized',
      // Not a secret, so Math.random will do; crypto's randomInt costs more at benchmark rates.
      approvalCode: String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0'),
      approvedAt: now.toISOString(),
      amountMinor: approval.amountMinor,
      currency: approval.currency,
      cardLast4: approval.cardNumber.slice(-4),
      installmentMonths: approval.installmentMonths,
      channel: approval.channel,
    };
    this.payments.set(payment.paymentId, payment);
    this.standingByOrder.set(payment.orderId, payment);
    return payment;
  }

  find(paymentId: string): Payment | undefined {
    return this.payments.get(paymentId);
  }

  /** The payment that still counts for an order, whatever its state; undefined when none or reversed. */
  standingPayment(orderId: string): Payment | undefined {
    return this.standingByOrder.get(orderId);
  }

  /** Every payment made for an order, oldest first. */
  paymentsOfOrder(orderId: string): Payment[] {
    const standing = this.standingByOrder.get(orderId);
    const reversed = this.reversedByOrder.get(orderId) ?? [];
    return standing ? [...reversed, standing] : [...reversed];
  }

  void(paymentId: string, reason: string, now = new Date()): CancelResult {
    const payment = this.payments.get(paymentId);
    if (!payment) return { outcome: 'not_found' };
    if (payment.status === 'voided' || payment.status === 'reversed') return { outcome: 'done', payment };
    if (payment.status === 'refunded') {
      return { outcome: 'conflict', payment, detail: `payment ${paymentId} is refunded and can no longer be voided` };
    }
    payment.status = 'voided';
    payment.voidedAt = now.toISOString();
    payment.cancelReason = reason;
    return { outcome: 'done', payment };
  }

  refund(paymentId: string, reason: string, now = new Date()): CancelResult {
    const payment = this.payments.get(paymentId);
    if (!payment) return { outcome: 'not_found' };
    if (payment.status === 'refunded') return { outcome: 'done', payment };
    if (payment.status !== 'authorized') {
      return { outcome: 'conflict', payment, detail: `payment ${paymentId} is ${payment.status}; there is nothing to refund` };
    }
    payment.status = 'refunded';
    payment.refundedAt = now.toISOString();
    payment.cancelReason = reason;
    return { outcome: 'done', payment };
  }

  /**
   * 망취소: cancels the order's standing approval, whatever the merchant knows of it, and forgets the
   * answers stored for it, so a retry under the same idempotency key authorizes afresh instead of
   * replaying a dead approval. Idempotent: an order whose approval is already voided or reversed is
   * `done` again; an order with no approval at all has `nothing` to cancel.
   */
  reverseOrder(orderId: string, reason: string, now = new Date()): ReversalResult {
    const payment = this.standingByOrder.get(orderId);
    if (!payment) {
      const latest = this.reversedByOrder.get(orderId)?.at(-1);
      return latest ? { outcome: 'done', payment: latest } : { outcome: 'nothing' };
    }
    if (payment.status === 'voided') return { outcome: 'done', payment };
    if (payment.status === 'refunded') {
      return { outcome: 'conflict', payment, detail: `payment ${payment.paymentId} of order ${orderId} is refunded and can no longer be reversed` };
    }
    payment.status = 'reversed';
    payment.reversedAt = now.toISOString();
    payment.cancelReason = reason;
    this.standingByOrder.delete(orderId);
    const reversed = this.reversedByOrder.get(orderId);
    if (reversed) reversed.push(payment);
    else this.reversedByOrder.set(orderId, [payment]);
    for (const key of this.answerKeysByPayment.get(payment.paymentId) ?? []) this.answers.delete(key);
    this.answerKeysByPayment.delete(payment.paymentId);
    return { outcome: 'done', payment };
  }

  storedAnswer(idempotencyKey: string): StoredAnswer | undefined {
    return this.answers.get(idempotencyKey);
  }

  storeAnswer(idempotencyKey: string, answer: StoredAnswer): void {
    this.answers.set(idempotencyKey, answer);
    if (answer.paymentId) {
      const keys = this.answerKeysByPayment.get(answer.paymentId);
      if (keys) keys.push(idempotencyKey);
      else this.answerKeysByPayment.set(answer.paymentId, [idempotencyKey]);
    }
  }
}

/** `pay_` and 16 hex digits: 20 characters, the width of the telegram's transaction id field. */
function newPaymentId(): string {
  const uuid = randomUUID();
  return `pay_${uuid.slice(0, 8)}${uuid.slice(9, 13)}${uuid.slice(14, 18)}`;
}
