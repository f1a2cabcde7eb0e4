/**
 * One persistent connection to the payment 전문 server. Requests are written as they come and may
 * be answered in any order; each answer finds its request by trace number. A silent connection
 * sends an 0800 echo, and one that does not answer its echo is dropped (the pool reconnects it).
 */
import { connect, type Socket } from 'node:net';
import { logger } from '../../../platform/logger.js';
import { telegramCodec } from '../../../platform/contracts/telegram/codec.js';
import { TelegramFramer } from '../../../platform/contracts/telegram/framer.js';
import type { MessageType, Telegram } from '../../../platform/contracts/telegram/layout.js';
import { blankTelegram } from '../../../platform/contracts/telegram/messages.js';

/**
 * not_sent: the request never left (no connection), so the gateway has not seen it.
 * timeout, connection_lost, bad_response: it was written, so the gateway may have acted on it.
 */
export type RequestFailure = 'not_sent' | 'timeout' | 'connection_lost' | 'bad_response';

export class TelegramRequestError extends Error {
  constructor(
    readonly failure: RequestFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TelegramRequestError';
  }

  /** The request may have reached the gateway: whatever it asked for may have happened. */
  get outcomeUnknown(): boolean {
    return this.failure !== 'not_sent';
  }
}

export interface OutgoingTelegram {
  frame: Buffer;
  traceNumber: number;
  /** The response type that answers it; a `9999` reject is accepted too. */
  answeredBy: MessageType;
}

export interface TelegramConnectionOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Send an echo after this long without traffic. */
  echoIntervalMs: number;
  echoTimeoutMs: number;
  maxFrameBytes: number;
  nextTraceNumber: () => number;
}

interface Pending {
  answeredBy: MessageType;
  resolve: (telegram: Telegram) => void;
  reject: (error: TelegramRequestError) => void;
  timer: NodeJS.Timeout;
}

const log = logger('telegram-client');

export class TelegramConnection {
  private socket: Socket | undefined;
  private readonly framer: TelegramFramer;
  private readonly pending = new Map<number, Pending>();
  private state: 'new' | 'connecting' | 'open' | 'closed' = 'new';
  private corked = false;
  private lastError: Error | undefined;
  /** Called once, when the connection is gone (or could not be made). */
  onClose: (error: Error | undefined) => void = () => undefined;

  constructor(private readonly options: TelegramConnectionOptions) {
    this.framer = new TelegramFramer(options.maxFrameBytes);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get inFlight(): number {
    return this.pending.size;
  }

  connect(): Promise<void> {
    if (this.state !== 'new') return Promise.reject(new Error('a TelegramConnection connects only once'));
    this.state = 'connecting';
    const { host, port, connectTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      this.socket = socket;
      const connectTimer = setTimeout(
        () => socket.destroy(new Error(`connecting to ${host}:${port} timed out after ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        this.state = 'open';
        socket.setTimeout(this.options.echoIntervalMs);
        resolve();
      });
      socket.on('timeout', () => this.echo());
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      socket.on('error', (error) => {
        this.lastError = error;
      });
      socket.once('close', () => {
        clearTimeout(connectTimer);
        const wasConnecting = this.state === 'connecting';
        this.state = 'closed';
        this.failAll(`connection to ${host}:${port} closed${this.lastError ? `: ${this.lastError.message}` : ''}`);
        if (wasConnecting) reject(this.lastError ?? new Error(`connection to ${host}:${port} closed while connecting`));
        this.onClose(this.lastError);
      });
    });
  }

  request(outgoing: OutgoingTelegram, timeoutMs: number): Promise<Telegram> {
    const socket = this.socket;
    if (this.state !== 'open' || !socket) {
      return Promise.reject(new TelegramRequestError('not_sent', 'the connection is not open'));
    }
    if (this.pending.has(outgoing.traceNumber)) {
      return Promise.reject(new TelegramRequestError('not_sent', `trace number ${outgoing.traceNumber} is already in flight`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(outgoing.traceNumber);
        reject(new TelegramRequestError('timeout', `no answer to trace number ${outgoing.traceNumber} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(outgoing.traceNumber, { answeredBy: outgoing.answeredBy, resolve, reject, timer });
      // Requests made in the same tick leave in one write: far fewer syscalls under load.
      if (!this.corked) {
        this.corked = true;
        socket.cork();
        process.nextTick(() => {
          this.corked = false;
          socket.uncork();
        });
      }
      socket.write(outgoing.frame);
    });
  }

  close(): void {
    this.socket?.destroy();
    if (this.state === 'new') {
      this.state = 'closed';
      this.onClose(undefined);
    }
  }

  private receive(chunk: Buffer): void {
    for (const event of this.framer.push(chunk)) {
      if (event.kind === 'fatal') {
        log.error({ error: event.error }, 'unreadable stream from the payment gateway; reconnecting');
        this.socket?.destroy(new Error(event.error.message));
        return;
      }
      const decoded = telegramCodec.decodePayload(event.payload);
      if (!decoded.ok) {
        const { traceNumber } = decoded.error;
        const pending = traceNumber === undefined ? undefined : this.take(traceNumber);
        log.warn({ error: decoded.error }, 'malformed telegram from the payment gateway');
        pending?.reject(new TelegramRequestError('bad_response', `malformed answer: ${decoded.error.message}`));
        continue;
      }
      const response = decoded.telegram;
      const pending = this.take(response.traceNumber);
      if (!pending) {
        log.debug({ traceNumber: response.traceNumber, messageType: response.messageType }, 'answer for no request in flight (late?)');
      } else if (response.messageType === pending.answeredBy || response.messageType === '9999') {
        pending.resolve(response);
      } else {
        pending.reject(new TelegramRequestError('bad_response', `expected a ${pending.answeredBy} answer, got ${response.messageType}`));
      }
    }
  }

  private take(traceNumber: number): Pending | undefined {
    const pending = this.pending.get(traceNumber);
    if (!pending) return undefined;
    this.pending.delete(traceNumber);
    clearTimeout(pending.timer);
    return pending;
  }

  /** Keeps an idle line open, and finds out when it is dead before a payment does. */
  private echo(): void {
    const traceNumber = this.options.nextTraceNumber();
    const encoded = telegramCodec.encode(blankTelegram({ messageType: '0800', traceNumber }));
    if (!encoded.ok) return;
    this.request({ frame: encoded.frame, traceNumber, answeredBy: '0810' }, this.options.echoTimeoutMs).then(
      (answer) => log.debug({ responseCode: answer.responseCode }, 'echo answered'),
      (error: Error) => {
        log.warn({ err: error }, 'echo failed; dropping the connection');
        this.socket?.destroy(error);
      },
    );
  }

  private failAll(reason: string): void {
    for (const [traceNumber, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new TelegramRequestError('connection_lost', `${reason} before trace number ${traceNumber} was answered`));
    }
    this.pending.clear();
  }
}
