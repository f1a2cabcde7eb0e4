/**
 * The modern payment line: the gateway's JSON API over HTTP (fetch, so the call is traced by the
 * undici instrumentation). A call that gets no answer — timeout, reset, refused after sending — has
 * an unknown outcome; the client reverses that attempt (`POST /payments/reverse`, 망취소 naming the
 * attempt) before reporting it, so the attempt can leave no approval behind and its request, should
 * it still arrive, is refused. Other attempts' approvals are never touched.
 */
import { config } from '../../platform/config.js';
import { callService, ServiceCallError } from '../../platform/http.js';
import { logger } from '../../platform/logger.js';
import {
  PaymentGatewayError,
  type AttemptReversal,
  type AuthorizationRequest,
  type AuthorizationResult,
  type CallTimeouts,
  type VoidResult,
} from './gateway.js';
import { describeCall, PaymentLineClient } from './line-client.js';

export interface HttpPaymentGatewayOptions {
  /** Default: PAYMENT_HTTP_URL. */
  baseUrl?: string;
  /** Per call unless the caller gives its own; default: HTTP_CLIENT_TIMEOUT_MS. */
  timeoutMs?: number;
}

const SERVICE = 'payment-sim';

export class HttpPaymentGateway extends PaymentLineClient {
  readonly channel = 'http' as const;
  private readonly baseUrl: string;
  protected readonly defaultTimeoutMs: number;
  protected readonly log = logger('payment-http');

  constructor(options: HttpPaymentGatewayOptions = {}) {
    super();
    this.baseUrl = (options.baseUrl ?? config().PAYMENT_HTTP_URL).replace(/\/+$/, '');
    this.defaultTimeoutMs = options.timeoutMs ?? config().HTTP_CLIENT_TIMEOUT_MS;
  }

  protected async requestAuthorization(request: AuthorizationRequest, timeouts: CallTimeouts): Promise<AuthorizationResult> {
    const { idempotencyKey, ...body } = request;
    const what = describeCall.authorization(request);
    let answer: Awaited<ReturnType<typeof callService>>;
    try {
      answer = await callService(SERVICE, `${this.baseUrl}/payments/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        timeoutMs: timeouts.requestMs,
      });
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      throw await this.noAnswer(request, error.message, timeouts.reversalMs);
    }

    const { status } = answer;
    const payload = (answer.body ?? {}) as Record<string, unknown>;
    if (status === 200 || status === 201) {
      if (payload.status !== 'authorized') {
        throw new PaymentGatewayError(
          this.channel,
          false,
          `order ${request.orderId} already has payment ${String(payload.paymentId)} in state ${String(payload.status)}`,
        );
      }
      return {
        outcome: 'approved',
        paymentId: String(payload.paymentId),
        approvalCode: String(payload.approvalCode),
        approvedAt: String(payload.approvedAt),
      };
    }
    if (status === 402) {
      return {
        outcome: 'declined',
        declineCode: typeof payload.declineCode === 'string' ? payload.declineCode : 'generic_decline',
        reason: declineReason(payload.message ?? payload.detail),
      };
    }
    if (status === 409 && payload.type === 'attempt_reversed') {
      // This very attempt was reversed before its request arrived: nothing charged, a new attempt may pass.
      throw new PaymentGatewayError(this.channel, true, `${what} was refused: ${String(payload.detail)}`);
    }
    throw this.failure(what, status, payload);
  }

  async reverseAttempt(reversal: AttemptReversal, timeoutMs = this.defaultTimeoutMs): Promise<VoidResult> {
    const what = describeCall.netCancel(reversal);
    let answer: Awaited<ReturnType<typeof callService>>;
    try {
      answer = await callService(SERVICE, `${this.baseUrl}/payments/reverse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: reversal.orderId, attempt: reversal.attempt, reason: reversal.reason }),
        timeoutMs,
      });
    } catch (error) {
      throw new PaymentGatewayError(this.channel, true, `${what}: ${(error as Error).message}`);
    }
    if (answer.status !== 200) throw this.failure(what, answer.status, answer.body);
    const body = answer.body as { reversed?: boolean; payment?: { paymentId: string } | null };
    return body.reversed && body.payment ? { voided: true, paymentId: body.payment.paymentId } : { voided: false };
  }

  /**
   * By payment id when the saga has one; otherwise by order id, which also finds an approval whose
   * answer never arrived and makes the gateway refuse any later authorization of the order (409
   * `order_voided`). A payment id the gateway does not know held no money.
   */
  async void(payment: { orderId: string; paymentId?: string; amountMinor: number; reason: string }): Promise<VoidResult> {
    const byOrder = payment.paymentId === undefined;
    const what = describeCall.void(payment);
    const url = byOrder
      ? `${this.baseUrl}/payments/void-by-order`
      : `${this.baseUrl}/payments/${encodeURIComponent(payment.paymentId ?? '')}/void`;
    let answer: Awaited<ReturnType<typeof callService>>;
    try {
      answer = await callService(SERVICE, url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(byOrder ? { orderId: payment.orderId, reason: payment.reason } : { reason: payment.reason }),
        timeoutMs: this.defaultTimeoutMs,
      });
    } catch (error) {
      throw new PaymentGatewayError(this.channel, true, `${what}: ${(error as Error).message}`);
    }
    if (answer.status === 404 && !byOrder) {
      this.log.warn({ orderId: payment.orderId, paymentId: payment.paymentId }, 'void of a payment the gateway does not know');
      return { voided: false };
    }
    if (answer.status !== 200) throw this.failure(what, answer.status, answer.body);
    const body = answer.body as { voided?: boolean; paymentId?: string; payment?: { paymentId: string } | null };
    if (byOrder) {
      return body.voided && body.payment ? { voided: true, paymentId: body.payment.paymentId } : { voided: false };
    }
    return { voided: true, paymentId: body.paymentId ?? payment.paymentId };
  }

  /**
   * Refunds a settled payment (after the goods were lost: activities/order/shipment-loss.ts), on this
   * line whatever line authorized it: the TCP 전문 has no refund message, and both lines book in one
   * ledger. Idempotent at the gateway: refunding a refunded payment answers it again. A payment in
   * another state (voided, reversed) is a non-retryable error: nothing is charged, nothing to return.
   */
  async refund(payment: { orderId: string; paymentId: string; reason: string }): Promise<{ refundedAt: string }> {
    const what = `refund of payment ${payment.paymentId} (order ${payment.orderId})`;
    let answer: Awaited<ReturnType<typeof callService>>;
    try {
      answer = await callService(SERVICE, `${this.baseUrl}/payments/${encodeURIComponent(payment.paymentId)}/refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: payment.reason.slice(0, 200) }),
        timeoutMs: this.defaultTimeoutMs,
      });
    } catch (error) {
      throw new PaymentGatewayError(this.channel, true, `${what}: ${(error as Error).message}`);
    }
    if (answer.status !== 200) throw this.failure(what, answer.status, answer.body);
    return { refundedAt: (answer.body as { refundedAt?: string }).refundedAt ?? new Date().toISOString() };
  }

  /**
   * 5xx: the gateway failed and booked nothing, so a retry may pass. A 409 is retryable only when it
   * is a concurrent duplicate still in progress (`request_in_progress`, as some gateways answer); a
   * reused key, an order paid on other terms or a state that forbids the call conflict forever. Any
   * other 4xx is a request the gateway will never accept.
   */
  private failure(what: string, status: number, body: unknown): PaymentGatewayError {
    const problem = (body ?? {}) as { type?: string; detail?: string };
    const retryable = status >= 500 || (status === 409 && problem.type === 'request_in_progress');
    const detail = problem.detail ?? (typeof body === 'string' ? body : JSON.stringify(body));
    return new PaymentGatewayError(this.channel, retryable, `${what} failed with HTTP ${status}: ${detail}`);
  }
}

/** The simulator's text for a decline (its `message`, or a problem's `detail`); a generic one when it sent none. */
function declineReason(text: unknown): string {
  return typeof text === 'string' ? text : 'card declined';
}
