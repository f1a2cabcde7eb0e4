/**
 * A fixed number of persistent connections to the payment 전문 server. Each slot keeps its
 * connection up: connects on first use, and after a loss reconnects with exponential backoff and
 * jitter (so a restarted gateway is not hit by every client at the same instant). A request goes to
 * the open connection with the fewest requests in flight.
 */
import { logger } from '../../../platform/logger.js';
import { TelegramConnection, TelegramRequestError, type OutgoingTelegram, type TelegramConnectionOptions } from './connection.js';
import type { Telegram } from '../../../platform/contracts/telegram/layout.js';

export interface TelegramPoolOptions extends TelegramConnectionOptions {
  size: number;
  reconnectInitialDelayMs: number;
  reconnectMaxDelayMs: number;
}

const log = logger('telegram-client');

export class TelegramConnectionPool {
  private readonly slots: PoolSlot[];
  private readonly waiters = new Set<(connection: TelegramConnection) => void>();
  private started = false;
  private closed = false;

  constructor(private readonly options: TelegramPoolOptions) {
    this.slots = Array.from({ length: options.size }, (_, index) => new PoolSlot(index, options, this));
  }

  /** Sends on the least busy open connection, waiting for one to open if need be, all within `timeoutMs`. */
  request(outgoing: OutgoingTelegram, timeoutMs: number): Promise<Telegram> {
    const open = this.leastBusy();
    if (open) return open.request(outgoing, timeoutMs);
    const deadline = performance.now() + timeoutMs;
    return this.waitForConnection(timeoutMs).then((connection) => connection.request(outgoing, Math.max(1, deadline - performance.now())));
  }

  /** Connections open right now. */
  openConnections(): number {
    return this.slots.filter((slot) => slot.connection?.isOpen).length;
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots) slot.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called by a slot when its connection opens. */
  connectionOpened(connection: TelegramConnection): void {
    for (const waiter of [...this.waiters]) waiter(connection);
  }

  private leastBusy(): TelegramConnection | undefined {
    if (!this.started) {
      this.started = true;
      for (const slot of this.slots) slot.connect();
    }
    let best: TelegramConnection | undefined;
    for (const slot of this.slots) {
      const connection = slot.connection;
      if (connection?.isOpen && (!best || connection.inFlight < best.inFlight)) best = connection;
    }
    return best;
  }

  private waitForConnection(timeoutMs: number): Promise<TelegramConnection> {
    if (this.closed) return Promise.reject(new TelegramRequestError('not_sent', 'the payment gateway client is closed'));
    return new Promise((resolve, reject) => {
      const done = (connection: TelegramConnection) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(connection);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        const lastError = this.slots.map((slot) => slot.lastError).find(Boolean);
        reject(
          new TelegramRequestError(
            'not_sent',
            `no connection to ${this.options.host}:${this.options.port} within ${timeoutMs} ms${lastError ? ` (${lastError.message})` : ''}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(done);
    });
  }
}

class PoolSlot {
  connection: TelegramConnection | undefined;
  lastError: Error | undefined;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly index: number,
    private readonly options: TelegramPoolOptions,
    private readonly pool: TelegramConnectionPool,
  ) {}

  connect(): void {
    if (this.pool.isClosed) return;
    const connection = new TelegramConnection(this.options);
    this.connection = connection;
    connection.onClose = (error) => {
      if (this.connection === connection) this.connection = undefined;
      if (error) this.lastError = error;
      this.scheduleReconnect();
    };
    connection.connect().then(
      () => {
        if (this.failures > 0) log.info({ slot: this.index, after: this.failures }, 'payment gateway connection restored');
        this.failures = 0;
        this.lastError = undefined;
        this.pool.connectionOpened(connection);
      },
      // onClose has the error and schedules the retry.
      () => undefined,
    );
  }

  close(): void {
    clearTimeout(this.reconnectTimer);
    this.connection?.close();
  }

  private scheduleReconnect(): void {
    if (this.pool.isClosed) return;
    const { reconnectInitialDelayMs, reconnectMaxDelayMs, host, port } = this.options;
    const ceiling = Math.min(reconnectMaxDelayMs, reconnectInitialDelayMs * 2 ** this.failures);
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.failures += 1;
    // One line per outage at warn; the retries that follow only at debug.
    const level = this.failures === 1 ? 'warn' : 'debug';
    log[level]({ slot: this.index, delayMs, err: this.lastError }, `payment gateway connection to ${host}:${port} lost; reconnecting`);
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
    this.reconnectTimer.unref();
  }
}
