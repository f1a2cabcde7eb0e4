/**
 * The simulator's legacy line: the payment 전문 over persistent TCP connections (docs/payment-telegram.md).
 * Each connection may carry many requests in flight; each is answered as soon as its own (scenario)
 * latency allows, so answers can overtake each other and the client matches them by trace number.
 *
 * Whatever arrives, the server neither crashes nor hangs: a telegram it cannot decode is answered
 * with response code 0030 when its trace number can be read; a stream it cannot frame any more is
 * closed with a log line; a connection beyond `maxConnections` is closed on arrival, with a log line.
 *
 * An approval names the card by its vault token (`cardToken`); the simulator turns it back into the
 * number in this process, and the answer echoes the token. No telegram carries a card number.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { logger } from '../platform/logger.js';
import { CARD_TOKEN_PATTERN } from '../platform/contracts/order.js';
import type { AuthorizationAnswer, AuthorizationRequest, PaymentSimulator } from './simulator.js';
import { authorizationRequestSchema, MAX_ATTEMPT } from './simulator.js';
import { telegramCodec, type TelegramError } from '../platform/contracts/telegram/codec.js';
import { TelegramFramer } from '../platform/contracts/telegram/framer.js';
import { isRequestType, responseTypeOf, type RequestType, type Telegram } from '../platform/contracts/telegram/layout.js';
import { blankTelegram, responseTo, telegramClock } from '../platform/contracts/telegram/messages.js';
import { responseCodeForDecline, type ResponseCode } from '../platform/contracts/telegram/response-codes.js';
import { RPC_SERVICE, RPC_SYSTEM, rpcMethodOf, telegramGetter, telegramSpanName } from '../platform/contracts/telegram/tracing.js';

export interface TelegramServerOptions {
  port: number;
  host?: string;
  /** A connection silent this long is closed; clients send 0800 echoes to stay open. */
  idleTimeoutMs?: number;
  /** Largest declared frame length accepted; a larger one closes the connection. */
  maxFrameBytes?: number;
  /** Above this many unanswered requests on one connection, the server stops reading from it. */
  maxInFlightPerConnection?: number;
  /**
   * Connections held at once (PAYMENT_SIM_TCP_MAX_CONNECTIONS); one more is closed at once, with a
   * log line naming its peer: a client that opens connections without end cannot exhaust the process.
   */
  maxConnections?: number;
}

export interface RunningTelegramServer {
  port: number;
  /** Connections open right now. */
  connections(): number;
  /** Connections closed on arrival because the server held maxConnections already. */
  refusedConnections(): number;
  close(): Promise<void>;
}

export const telegramServerDefaults = {
  idleTimeoutMs: 90_000,
  maxFrameBytes: 1024,
  maxInFlightPerConnection: 1024,
  maxConnections: 256,
} as const;

/** The system code the simulator uses when it speaks first (a reject to a telegram it could not read). */
const SIMULATOR_SYSTEM_CODE = 'PSIM';

type Answer = Telegram | undefined;

const tracer = trace.getTracer('ordersaga.payment-sim');

export function startTelegramServer(simulator: PaymentSimulator, options: TelegramServerOptions): Promise<RunningTelegramServer> {
  const settings = { ...telegramServerDefaults, ...options };
  const log = logger('telegram-server');
  const sockets = new Set<Socket>();
  let refused = 0;
  const server = createServer((socket) => {
    if (sockets.size >= settings.maxConnections) {
      // Closed before a byte is read: no telegram has arrived, so there is no trace number to answer.
      refused += 1;
      log.warn(
        { peer: `${socket.remoteAddress}:${socket.remotePort}`, maxConnections: settings.maxConnections, refused },
        'connection refused: the 전문 server holds PAYMENT_SIM_TCP_MAX_CONNECTIONS connections already',
      );
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    new TelegramSession(socket, simulator, settings, log);
  });

  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`payment-sim TCP: port ${settings.port} is already in use`) : error);
    });
    server.listen(settings.port, settings.host ?? '0.0.0.0', () => {
      server.on('error', (error) => log.error({ err: error }, 'TCP server error'));
      const { port } = server.address() as AddressInfo;
      log.info({ port }, 'payment-sim TCP 전문 server listening');
      resolve({
        port,
        connections: () => sockets.size,
        refusedConnections: () => refused,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}

class TelegramSession {
  private readonly framer: TelegramFramer;
  /** Requests being answered, keyed by message type and trace number (see inFlightKey). */
  private readonly inFlight = new Set<number>();
  private readonly peer: string;
  private waitingForDrain = false;
  private readingPaused = false;
  private closing = false;
  private corked = false;

  constructor(
    private readonly socket: Socket,
    private readonly simulator: PaymentSimulator,
    private readonly settings: Required<Omit<TelegramServerOptions, 'host' | 'maxConnections'>>,
    private readonly log: ReturnType<typeof logger>,
  ) {
    this.framer = new TelegramFramer(settings.maxFrameBytes);
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.setTimeout(settings.idleTimeoutMs, () => {
      log.info({ peer: this.peer, idleTimeoutMs: settings.idleTimeoutMs }, 'closing idle connection');
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.updateFlow();
    });
    socket.on('error', (error) => log.debug({ peer: this.peer, err: error }, 'connection error'));
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    this.corkUntilIdle();
    try {
      for (const event of this.framer.push(chunk)) {
        if (event.kind === 'fatal') {
          this.closeBecause(event.error);
          break;
        }
        this.handle(event.payload);
        if (this.closing) break;
      }
    } catch (error) {
      this.log.error({ peer: this.peer, err: error }, 'telegram handling failed; closing the connection');
      this.socket.destroy();
    }
  }

  /**
   * Holds writes until the event loop has handled every read that was ready, so the answers to all
   * of them leave in one write. A syscall per answer would cost more than the answer itself.
   */
  private corkUntilIdle(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  private handle(payload: Buffer): void {
    const decoded = telegramCodec.decodePayload(payload);
    if (!decoded.ok) return this.rejectMalformed(decoded.error);
    const request = decoded.telegram;
    if (!isRequestType(request.messageType)) {
      return this.rejectMalformed({
        code: 'unknown_message_type',
        message: `message type ${request.messageType} is not a request`,
        traceNumber: request.traceNumber,
      });
    }
    const typed = request as Telegram & { messageType: RequestType };
    const key = inFlightKey(typed.messageType, typed.traceNumber);
    if (this.inFlight.has(key)) {
      this.log.warn({ peer: this.peer, traceNumber: typed.traceNumber }, 'trace number already in flight; answered 0094');
      return this.send(responseTo(typed, { responseCode: '0094' }));
    }
    this.inFlight.add(key);
    this.updateFlow();

    const parent = propagation.extract(ROOT_CONTEXT, typed, telegramGetter);
    const span = tracer.startSpan(telegramSpanName(typed.messageType), { kind: SpanKind.SERVER }, parent);
    // Attributes are built only for a span that records: untraced, this path runs tens of thousands of times a second.
    if (span.isRecording()) {
      span.setAttributes({
        'rpc.system': RPC_SYSTEM,
        'rpc.service': RPC_SERVICE,
        'rpc.method': rpcMethodOf[typed.messageType],
        'network.transport': 'tcp',
        'server.port': this.socket.localPort ?? 0,
        'client.address': this.socket.remoteAddress ?? '',
        'ordersaga.telegram.message_type': typed.messageType,
        'ordersaga.telegram.trace_number': typed.traceNumber,
        'ordersaga.order_id': typed.orderId,
      });
    }
    const answer = context.with(trace.setSpan(parent, span), () => this.answer(typed));
    if (answer instanceof Promise) {
      answer.then(
        (response) => this.finish(key, span, response),
        (error: unknown) => {
          this.log.error({ peer: this.peer, err: error }, 'telegram handling failed');
          this.finish(key, span, responseTo(typed, { responseCode: '0096' }));
        },
      );
    } else {
      this.finish(key, span, answer);
    }
  }

  /** Synchronous when nothing waits (echoes, format errors); anything the ledger decided waits for its commit. */
  private answer(request: Telegram & { messageType: RequestType }): Answer | Promise<Answer> {
    switch (request.messageType) {
      case '0800':
        return responseTo(request, { responseCode: '0000' });
      case '0200':
        return this.approve(request);
      case '0420':
        return this.reverse(request);
    }
  }

  private approve(request: Telegram & { messageType: RequestType }): Answer | Promise<Answer> {
    const parsed = authorizationRequestOf(request);
    if (!parsed.ok) {
      this.log.warn({ peer: this.peer, traceNumber: request.traceNumber, fields: parsed.fields }, 'approval request rejected: 0030');
      return responseTo(request, { responseCode: '0030' });
    }
    // The vault turns the token back into the card inside this process; the answer echoes the token.
    return this.simulator.detokenize(parsed.request).then((input) => {
      const { answer, latencyMs, hold } = this.simulator.authorize(input, 'tcp');
      const response = responseTo(request, approvalAnswer(answer));
      // Never answered, and not counted in flight: a connection full of held requests must still be read.
      if (hold) return undefined;
      // Answered only once what the answer rests on is committed to the ledger's database.
      const durable = this.simulator.ledger.durable();
      if (latencyMs > 0) return Promise.all([durable, sleep(latencyMs)]).then(() => response);
      return durable.then(() => response);
    });
  }

  /**
   * 0420 names what it cancels. With a transaction id: void that payment of the order (the
   * compensation of a known approval). Else with an attempt number: 망취소 of that attempt only
   * (its approval if it arrived; a tombstone either way, so a late 0200 of the attempt is refused
   * 0058). Else: void by order id, whatever approval the order holds, leaving a tombstone for the
   * whole order (a later 0200 is refused 0057). The answer's transaction id names the payment
   * cancelled, blank when there was none.
   */
  private reverse(request: Telegram & { messageType: RequestType }): Promise<Answer> | Answer {
    const { ledger } = this.simulator;
    if (request.orderId === '') return responseTo(request, { responseCode: '0030' });
    let response: Telegram;
    if (request.transactionId !== '') {
      const payment = ledger.find(request.transactionId);
      if (!payment || payment.orderId !== request.orderId) {
        return responseTo(request, { responseCode: '0025' });
      }
      const result = ledger.void(payment.paymentId, 'void (0420)');
      response = responseTo(request, { responseCode: result.outcome === 'done' ? '0000' : '0012' });
    } else {
      const result =
        request.attemptNumber > 0
          ? ledger.reverseAttempt(request.orderId, request.attemptNumber, 'net cancel of the attempt (0420)')
          : ledger.voidOrder(request.orderId, 'void by order id (0420)');
      response = responseTo(request, {
        responseCode: result.outcome === 'conflict' ? '0012' : '0000',
        transactionId: result.outcome === 'nothing' ? '' : result.payment.paymentId,
      });
    }
    return ledger.durable().then(() => response);
  }

  private finish(key: number, span: Span, response: Answer): void {
    this.inFlight.delete(key);
    this.updateFlow();
    if (response) {
      span.setAttribute('ordersaga.telegram.response_code', response.responseCode);
      if (response.responseCode === '0096' || response.responseCode === '0030') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: `response code ${response.responseCode}` });
      }
      this.send(response);
    } else {
      span.setAttribute('ordersaga.telegram.held', true);
    }
    span.end();
  }

  private rejectMalformed(error: TelegramError): void {
    if (error.traceNumber === undefined) return this.closeBecause(error);
    const messageType = error.messageType !== undefined && isRequestType(error.messageType) ? responseTypeOf[error.messageType] : '9999';
    this.log.warn({ peer: this.peer, error }, `malformed telegram answered with 0030: ${error.message}`);
    this.send(
      blankTelegram({
        systemCode: SIMULATOR_SYSTEM_CODE,
        messageType,
        traceNumber: error.traceNumber,
        responseCode: '0030',
      }),
    );
  }

  private closeBecause(error: TelegramError): void {
    if (this.closing) return;
    this.closing = true;
    this.log.warn({ peer: this.peer, error }, `closing the connection: ${error.message}`);
    this.socket.end();
  }

  private send(response: Telegram): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    const encoded = telegramCodec.encode(response);
    if (!encoded.ok) {
      this.log.error({ peer: this.peer, error: encoded.error }, 'could not encode a response');
      return;
    }
    this.corkUntilIdle();
    if (!this.socket.write(encoded.frame)) {
      this.waitingForDrain = true;
      this.updateFlow();
    }
  }

  /** Stops reading while the peer does not read its answers or has too many requests in flight. */
  private updateFlow(): void {
    const shouldPause = this.waitingForDrain || this.inFlight.size >= this.settings.maxInFlightPerConnection;
    if (shouldPause === this.readingPaused) return;
    this.readingPaused = shouldPause;
    if (shouldPause) this.socket.pause();
    else this.socket.resume();
  }
}

const ORDER_ID = /^[\x21-\x7e]{1,36}$/;
const MAX_INSTALLMENT_MONTHS = 36;

/**
 * The approval a 0200 asks for, checked as `authorizationRequestSchema` checks the HTTP line's.
 * By hand on the way of every approval: the codec has already checked each field's kind and width
 * (digits, printable ASCII, at most its length), so what is left is a few ranges and two patterns,
 * and zod's parse of a fresh object cost about 0.9 µs of the 전문 thread per approval. The schema
 * stays the one source of the rule: a request this refuses is parsed by it for the message (the
 * same 0030 answer either way; its verdict stands), and a property test holds the two to the same
 * verdict (test/unit/payment-tcp-request.test.ts).
 */
export function authorizationRequestOf(request: Telegram): { ok: true; request: AuthorizationRequest } | { ok: false; fields: string } {
  const { orderId, amount, currency, cardToken, installmentMonths, attemptNumber } = request;
  if (
    ORDER_ID.test(orderId) &&
    currency === 'KRW' &&
    CARD_TOKEN_PATTERN.test(cardToken) &&
    installmentMonths <= MAX_INSTALLMENT_MONTHS &&
    Number.isSafeInteger(amount) &&
    amount >= 0 &&
    amount <= 999_999_999_999 &&
    attemptNumber >= 0 &&
    attemptNumber <= MAX_ATTEMPT
  ) {
    const checked: AuthorizationRequest = { orderId, amountMinor: amount, currency, cardToken, installmentMonths };
    if (attemptNumber !== 0) checked.attempt = attemptNumber;
    return { ok: true, request: checked };
  }
  const parsed = authorizationRequestSchema.safeParse({
    orderId,
    amountMinor: amount,
    currency,
    cardToken,
    installmentMonths,
    ...(attemptNumber === 0 ? {} : { attempt: attemptNumber }),
  });
  // Never expected (the property test): the schema's verdict stands.
  if (parsed.success) return { ok: true, request: parsed.data };
  return { ok: false, fields: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
}

const requestTypeIndex: Record<RequestType, number> = { '0200': 0, '0420': 1, '0800': 2 };

/** A number rather than a string: trace numbers stay below 10^10, so type × 10^10 + trace is unique and exact. */
function inFlightKey(type: RequestType, traceNumber: number): number {
  return requestTypeIndex[type] * 10_000_000_000 + traceNumber;
}

function approvalAnswer(answer: AuthorizationAnswer): Partial<Telegram> & { responseCode: ResponseCode } {
  switch (answer.kind) {
    case 'approved': {
      const { payment } = answer;
      if (payment.status !== 'authorized') return { responseCode: '0012', transactionId: payment.paymentId };
      const approvedAt = telegramClock(new Date(payment.approvedAt));
      return {
        responseCode: '0000',
        approvalNumber: payment.approvalCode,
        approvalDate: approvedAt.sendDate,
        approvalTime: approvedAt.sendTime,
        transactionId: payment.paymentId,
      };
    }
    case 'declined':
      return { responseCode: responseCodeForDecline(answer.declineCode) };
    case 'processing_error':
      return { responseCode: '0096' };
    case 'order_conflict':
      return { responseCode: '0094', transactionId: answer.payment.paymentId };
    case 'refused':
      return { responseCode: answer.refusal.kind === 'order_voided' ? '0057' : '0058' };
  }
}
