/**
 * The legacy payment line: the 전문 (fixed-length telegram) protocol over a pool of persistent TCP
 * connections (docs/payment-telegram.md). Each call is a CLIENT span whose traceparent travels in the
 * telegram's reserved header field, so the simulator's SERVER span joins the order's trace.
 *
 * An approval that gets no answer may still have been booked: the client sends an 0420 reversal of
 * that attempt (망취소 naming orderId + attemptNumber) before reporting a retryable error, so the
 * attempt leaves no approval behind, and its 0200, should it arrive after the 0420 (on another pooled
 * connection), is refused 0058. Other attempts' approvals are never touched.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { config } from '../../../platform/config.js';
import { logger } from '../../../platform/logger.js';
import { businessMetrics } from '../../../platform/telemetry/metrics.js';
import { declineMessages } from '../../../platform/contracts/decline-codes.js';
import { telegramCodec } from '../../../platform/contracts/telegram/codec.js';
import type { RequestType, Telegram } from '../../../platform/contracts/telegram/layout.js';
import { responseTypeOf } from '../../../platform/contracts/telegram/layout.js';
import { blankTelegram, instantOf } from '../../../platform/contracts/telegram/messages.js';
import { describeResponseCode } from '../../../platform/contracts/telegram/response-codes.js';
import { RPC_SERVICE, RPC_SYSTEM, rpcMethodOf, telegramSetter, telegramSpanName } from '../../../platform/contracts/telegram/tracing.js';
import {
  PaymentGatewayError,
  type AttemptReversal,
  type AuthorizationRequest,
  type AuthorizationResult,
  type CallTimeouts,
  type PaymentGateway,
  type VoidResult,
} from '../gateway.js';
import { TelegramRequestError } from './connection.js';
import { TelegramConnectionPool } from './pool.js';

export interface TcpPaymentGatewayOptions {
  /** host:port; default PAYMENT_TCP_ADDRESS. */
  address?: string;
  /** Persistent connections kept open. */
  poolSize?: number;
  /** Per request unless the caller gives its own, waiting for a connection included. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** A connection idle this long sends an 0800 echo; keep it under the server's idle timeout (90 s). */
  echoIntervalMs?: number;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  merchantId?: string;
  /** Korean text, sent in EUC-KR. */
  merchantName?: string;
}

export const tcpPaymentGatewayDefaults = {
  poolSize: 4,
  timeoutMs: 5_000,
  connectTimeoutMs: 2_000,
  echoIntervalMs: 30_000,
  reconnectInitialDelayMs: 100,
  reconnectMaxDelayMs: 5_000,
  merchantId: 'ORDERSAGA1',
  merchantName: '오더사가 온라인 스토어',
} as const;

const PEER_SERVICE = 'payment-sim';
/** Answers are 255 bytes; a longer declared length is still read (and rejected by the codec) up to this. */
const MAX_ANSWER_BYTES = 1024;

/** Echoes only keep a connection alive, so they get no span. */
type TracedType = Exclude<RequestType, '0800'>;
const MAX_TRACE_NUMBER = 9_999_999_999;

export class TcpPaymentGateway implements PaymentGateway {
  readonly channel = 'tcp' as const;
  private readonly settings: Required<Omit<TcpPaymentGatewayOptions, 'address'>>;
  private readonly pool: TelegramConnectionPool;
  private readonly peer: { host: string; port: number };
  /** Per request type, built once: every span of a type starts with the same attributes. */
  private readonly spanAttributes: Record<TracedType, Attributes>;
  private readonly tracer = trace.getTracer('ordersaga.payment');
  private readonly log = logger('payment-tcp');
  // Starts at a random point so two client processes rarely share trace numbers in the gateway's logs.
  private traceNumber = Math.floor(Math.random() * 1_000_000_000);

  constructor(options: TcpPaymentGatewayOptions = {}) {
    const { address, ...rest } = options;
    this.settings = { ...tcpPaymentGatewayDefaults, ...definedOnly(rest) };
    this.peer = parseAddress(address ?? config().PAYMENT_TCP_ADDRESS);
    const peerAttributes: Attributes = {
      'rpc.system': RPC_SYSTEM,
      'rpc.service': RPC_SERVICE,
      'server.address': this.peer.host,
      'server.port': this.peer.port,
      'network.transport': 'tcp',
      'peer.service': PEER_SERVICE,
      'service.peer.name': PEER_SERVICE,
    };
    const attributesFor = (type: TracedType): Attributes => ({
      ...peerAttributes,
      'rpc.method': rpcMethodOf[type],
      'ordersaga.telegram.message_type': type,
    });
    this.spanAttributes = { '0200': attributesFor('0200'), '0420': attributesFor('0420') };
    this.pool = new TelegramConnectionPool({
      ...this.peer,
      size: this.settings.poolSize,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      echoIntervalMs: this.settings.echoIntervalMs,
      echoTimeoutMs: this.settings.timeoutMs,
      maxFrameBytes: MAX_ANSWER_BYTES,
      reconnectInitialDelayMs: this.settings.reconnectInitialDelayMs,
      reconnectMaxDelayMs: this.settings.reconnectMaxDelayMs,
      nextTraceNumber: () => this.nextTraceNumber(),
    });
  }

  async authorize(request: AuthorizationRequest, timeouts: Partial<CallTimeouts> = {}): Promise<AuthorizationResult> {
    let outcome: AuthorizationResult['outcome'] | 'error' = 'error';
    const budget: CallTimeouts = {
      requestMs: timeouts.requestMs ?? this.settings.timeoutMs,
      reversalMs: timeouts.reversalMs ?? this.settings.timeoutMs,
    };
    try {
      const result = await this.traced('0200', request.orderId, (span) => this.approve(request, budget, span));
      outcome = result.outcome;
      return result;
    } finally {
      businessMetrics().paymentClientAuthorizations.add(1, { channel: this.channel, outcome });
    }
  }

  /**
   * With a payment id, voids that payment (0420 naming it); without, voids by order id (0420 naming
   * neither payment nor attempt), which leaves the order tombstoned at the gateway. Either way an
   * order with nothing to cancel is `voided: false`, not an error.
   */
  void(payment: { orderId: string; paymentId?: string; amountMinor: number; reason: string }): Promise<VoidResult> {
    const what = payment.paymentId
      ? `void of payment ${payment.paymentId} (order ${payment.orderId})`
      : `void by order id of order ${payment.orderId}`;
    return this.cancel(
      { orderId: payment.orderId, amount: payment.amountMinor, transactionId: payment.paymentId ?? '' },
      what,
      this.settings.timeoutMs,
    );
  }

  /** 0420 naming orderId + attemptNumber: cancels that attempt's approval only, and tombstones the attempt. */
  reverseAttempt(reversal: AttemptReversal, timeoutMs = this.settings.timeoutMs): Promise<VoidResult> {
    return this.cancel(
      { orderId: reversal.orderId, amount: reversal.amountMinor, attemptNumber: reversal.attempt },
      `net cancel of attempt ${reversal.attempt} of order ${reversal.orderId}`,
      timeoutMs,
    );
  }

  private cancel(fields: Partial<Telegram> & { orderId: string }, what: string, timeoutMs: number): Promise<VoidResult> {
    return this.traced('0420', fields.orderId, async (span) => {
      let response: Telegram;
      try {
        response = await this.exchange(span, { ...fields, messageType: '0420' }, what, timeoutMs);
      } catch (error) {
        if (error instanceof TelegramRequestError) throw new PaymentGatewayError(this.channel, true, `${what}: ${error.message}`);
        throw error;
      }
      const meaning = describeResponseCode(response.responseCode);
      if (response.responseCode === '0025') {
        this.log.warn({ orderId: fields.orderId, paymentId: fields.transactionId }, 'void of a payment the gateway does not know');
        return { voided: false };
      }
      if (meaning.outcome !== 'ok') {
        throw new PaymentGatewayError(
          this.channel,
          meaning.outcome === 'system_error',
          `${what} answered ${response.responseCode}: ${meaning.meaning}`,
        );
      }
      return response.transactionId === '' ? { voided: false } : { voided: true, paymentId: response.transactionId };
    });
  }

  async close(): Promise<void> {
    this.pool.close();
  }

  private async approve(request: AuthorizationRequest, timeouts: CallTimeouts, span: Span): Promise<AuthorizationResult> {
    const what = `authorization of order ${request.orderId} (attempt ${request.attempt})`;
    let response: Telegram;
    try {
      response = await this.exchange(
        span,
        {
          messageType: '0200',
          orderId: request.orderId,
          attemptNumber: request.attempt,
          amount: request.amountMinor,
          currency: request.currency,
          cardToken: request.cardToken,
          installmentMonths: request.installmentMonths ?? 0,
        },
        what,
        timeouts.requestMs,
      );
    } catch (error) {
      if (!(error instanceof TelegramRequestError)) throw error;
      if (error.outcomeUnknown) {
        await this.reverseUnknownApproval(request, error.message, timeouts.reversalMs);
        throw new PaymentGatewayError(
          this.channel,
          true,
          `${what} got no answer (${error.message}); the attempt was reversed (0420), retry`,
        );
      }
      throw new PaymentGatewayError(this.channel, true, `${what} was not sent: ${error.message}`);
    }

    const meaning = describeResponseCode(response.responseCode);
    switch (meaning.outcome) {
      case 'ok':
        return {
          outcome: 'approved',
          paymentId: response.transactionId,
          approvalCode: response.approvalNumber,
          approvedAt: instantOf(response.approvalDate, response.approvalTime).toISOString(),
        };
      case 'declined': {
        const declineCode = meaning.declineCode ?? 'generic_decline';
        return { outcome: 'declined', declineCode, reason: declineMessages[declineCode] };
      }
      case 'system_error':
      case 'attempt_reversed':
      case 'rejected':
        // A reversed attempt booked nothing: like a system error, a new attempt may pass.
        throw new PaymentGatewayError(
          this.channel,
          meaning.outcome !== 'rejected',
          `${what} answered ${response.responseCode}: ${meaning.meaning}`,
        );
    }
  }

  /**
   * 망취소 of the attempt whose answer never came. Logged, not thrown: the caller reports a retryable
   * error either way, and the next attempt reverses this one again before asking for an approval.
   */
  private async reverseUnknownApproval(request: AuthorizationRequest, cause: string, timeoutMs: number): Promise<void> {
    const { orderId, attempt, amountMinor } = request;
    try {
      const result = await this.reverseAttempt({ orderId, attempt, amountMinor, reason: `net cancel: ${cause}` }, timeoutMs);
      this.log.warn({ orderId, attempt, cause, ...result }, 'authorization outcome unknown; the attempt was reversed');
    } catch (error) {
      this.log.error({ orderId, attempt, cause, err: error }, 'authorization outcome unknown and the reversal failed');
    }
  }

  /** Sends one request built from `fields`, with the active span's traceparent in its header. */
  private async exchange(
    span: Span,
    fields: Partial<Telegram> & { messageType: RequestType },
    what: string,
    timeoutMs: number,
  ): Promise<Telegram> {
    const traceNumber = this.nextTraceNumber();
    const telegram = blankTelegram({
      merchantId: this.settings.merchantId,
      merchantName: this.settings.merchantName,
      ...fields,
      traceNumber,
    });
    propagation.inject(trace.setSpan(context.active(), span), telegram, telegramSetter);
    span.setAttribute('ordersaga.telegram.trace_number', traceNumber);
    const encoded = telegramCodec.encode(telegram);
    if (!encoded.ok) {
      throw new PaymentGatewayError(this.channel, false, `${what} cannot be sent: ${encoded.error.message}`);
    }
    const response = await this.pool.request(
      { frame: encoded.frame, traceNumber, answeredBy: responseTypeOf[fields.messageType] },
      timeoutMs,
    );
    span.setAttribute('ordersaga.telegram.response_code', response.responseCode);
    return response;
  }

  private async traced<T>(type: TracedType, orderId: string, work: (span: Span) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(
      telegramSpanName(type),
      { kind: SpanKind.CLIENT, attributes: this.spanAttributes[type] },
      context.active(),
    );
    span.setAttribute('ordersaga.order_id', orderId);
    try {
      return await context.with(trace.setSpan(context.active(), span), () => work(span));
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  private nextTraceNumber(): number {
    this.traceNumber = this.traceNumber >= MAX_TRACE_NUMBER ? 1 : this.traceNumber + 1;
    return this.traceNumber;
  }
}

/** `host:port`, `[v6]:port`. */
function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || !(port >= 1 && port <= 65535)) {
    throw new Error(`PAYMENT_TCP_ADDRESS must be host:port, got ${JSON.stringify(address)}`);
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
