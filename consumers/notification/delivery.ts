/**
 * Notification delivery: at least once, through the outbox that the notification rows are
 * (docs/decisions.md, "Notification delivery"; the columns: migrations/1700000000002_delivery_outbox.sql).
 *
 * The consumer records a notification `pending` in the transaction that marks its event processed,
 * so nothing is lost between Kafka and the provider. This loop claims due rows with
 * `FOR UPDATE SKIP LOCKED` (several replicas never claim the same row), takes a lease on them by
 * moving their next attempt a claim's length ahead and counting the attempt, commits, and only then
 * sends: no transaction stays open across a network call, and a sender that dies mid-send leaves
 * rows that fall due again when their lease runs out. Each outcome is written back: `sent`, or a
 * retry after a backoff that doubles up to a cap, or `failed` once the attempts are spent or the
 * provider refused the message for good. A provider that is down therefore delays messages and
 * loses none. A send that succeeded but whose outcome was not recorded (the process died between the
 * two) is sent again: at least once, with the same Message-ID / idempotency key each time.
 *
 * Each send is an exit span (CLIENT, `peer.service` = the provider), a child of the consumer span that
 * recorded the notification, so it shows in the order's trace (a retry hours later too); the
 * instrumentations' own spans under it (the socket, the HTTP call) are suppressed, as it says all
 * they would. `notification.sent` counts successes and `notification.delivery.failures` failed
 * attempts (platform/telemetry/metrics.ts).
 */
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Environment } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import { logger } from '../../platform/logger.js';
import { businessMetrics } from '../../platform/telemetry/metrics.js';
import { deliveryErrorType, type OutgoingNotification, PermanentDeliveryError, type Providers } from './providers.js';

export interface DeliverySettings {
  maxAttempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  pollIntervalMs: number;
  batchSize: number;
  /** How long one send may take. */
  timeoutMs: number;
}

export function deliverySettings(settings: Environment): DeliverySettings {
  return {
    maxAttempts: settings.NOTIFICATION_DELIVERY_MAX_ATTEMPTS,
    backoffInitialMs: settings.NOTIFICATION_DELIVERY_BACKOFF_INITIAL_MS,
    backoffMaxMs: settings.NOTIFICATION_DELIVERY_BACKOFF_MAX_MS,
    pollIntervalMs: settings.NOTIFICATION_DELIVERY_POLL_INTERVAL_MS,
    batchSize: settings.NOTIFICATION_DELIVERY_BATCH_SIZE,
    timeoutMs: settings.NOTIFICATION_DELIVERY_TIMEOUT_MS,
  };
}

/** The wait after failed attempt number `attempt` (1-based): doubling from the initial wait, capped; `jitter` in [0, 1) adds up to 10 %. */
export function deliveryBackoffMs(
  attempt: number,
  settings: Pick<DeliverySettings, 'backoffInitialMs' | 'backoffMaxMs'>,
  jitter = 0,
): number {
  const exponential = settings.backoffInitialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(exponential, settings.backoffMaxMs);
  return Math.round(capped * (1 + 0.1 * jitter));
}

interface ClaimedNotification extends OutgoingNotification {
  attempts: number;
  traceparent: string | null;
}

export type DeliveryOutcome = 'sent' | 'retry' | 'failed';

const tracer = trace.getTracer('ordersaga.notification');
const log = logger('notification-delivery');

export class NotificationDelivery {
  private db: Database | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(
    private readonly settings: DeliverySettings,
    private readonly providers: Providers,
  ) {}

  /** Starts the loop on `db`; the returned function stops it after the batch under way. */
  start(db: Database): () => Promise<void> {
    this.db = db;
    this.running = this.loop();
    return () => this.stop();
  }

  /** A notification was recorded: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let delivered = 0;
      try {
        delivered = await this.deliverDue();
      } catch (error) {
        // The database is away (restart, failover): the rows wait where they are; try again at the next poll.
        log.warn({ err: error }, 'notification delivery: could not claim due notifications; retrying at the next poll');
      }
      // A full batch suggests more are due: go on at once.
      if (delivered < this.settings.batchSize) await this.pause();
    }
  }

  private pause(): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, this.settings.pollIntervalMs);
      this.wakeUp = done;
    });
  }

  /** Claims the due notifications (one batch), sends them at once, records each outcome; returns how many were claimed. */
  async deliverDue(): Promise<number> {
    const claimed = await this.claim();
    await Promise.all(claimed.map((notification) => this.deliver(notification)));
    return claimed.length;
  }

  private async claim(): Promise<ClaimedNotification[]> {
    const db = this.database();
    // The lease: three send timeouts, so a send under way is never taken over, and one that died is after it.
    const leaseMs = this.settings.timeoutMs * 3;
    const { rows } = await db.query<ClaimedNotification>(
      `UPDATE notifications SET attempts = attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
       WHERE notification_id IN (
         SELECT notification_id FROM notifications
         WHERE delivery_state = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING notification_id AS "notificationId", event_type AS "eventType", channel, locale, recipient,
                 subject, body, html_body AS html, attempts, traceparent`,
      [this.settings.batchSize, leaseMs],
    );
    return rows;
  }

  private async deliver(notification: ClaimedNotification): Promise<DeliveryOutcome> {
    const provider = this.providers[notification.channel];
    const attributes = { channel: notification.channel, 'event.type': notification.eventType };
    return tracer.startActiveSpan(
      `notification deliver ${notification.channel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'peer.service': provider.peerService,
          'service.peer.name': provider.peerService,
          'notification.id': notification.notificationId,
          'notification.channel': notification.channel,
          'notification.locale': notification.locale,
          'notification.event_type': notification.eventType,
          'notification.attempt': notification.attempts,
        },
      },
      notification.traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent: notification.traceparent }) : ROOT_CONTEXT,
      async (span) => {
        let providerMessageId: string;
        try {
          ({ providerMessageId } = await context.with(suppressTracing(context.active()), () =>
            provider.send(notification, AbortSignal.timeout(this.settings.timeoutMs)),
          ));
        } catch (error) {
          return this.failed(notification, error, span);
        }
        try {
          businessMetrics().notificationSent.add(1, attributes);
          await this.database().query(
            `UPDATE notifications SET delivery_state = 'sent', sent_at = now(), provider_message_id = $2, last_error = NULL
             WHERE notification_id = $1 AND delivery_state = 'pending'`,
            [notification.notificationId, providerMessageId],
          );
          return 'sent';
        } catch (error) {
          // Sent, but the database did not hear of it: the claim runs out and it is sent again (at least once).
          log.warn(
            { err: error, notificationId: notification.notificationId },
            'notification delivered but not recorded as sent; it will be sent again when its claim runs out',
          );
          return 'retry';
        } finally {
          span.end();
        }
      },
    );
  }

  /** Records a failed attempt: a retry after the backoff, or failed for good; counts and logs it, and marks the span. */
  private async failed(notification: ClaimedNotification, error: unknown, span: Span): Promise<DeliveryOutcome> {
    const attributes = { channel: notification.channel, 'event.type': notification.eventType };
    const errorType = deliveryErrorType(error);
    const permanent = error instanceof PermanentDeliveryError;
    const giveUp = permanent || notification.attempts >= this.settings.maxAttempts;
    const message = `${(error as Error).message ?? String(error)}`.slice(0, 1000);
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.setAttribute('error.type', errorType);
    span.end();
    const backoffMs = deliveryBackoffMs(notification.attempts, this.settings, Math.random());
    await this.database()
      .query(
        `UPDATE notifications SET delivery_state = $2, last_error = $3, next_attempt_at = now() + $4 * interval '1 millisecond'
         WHERE notification_id = $1 AND delivery_state = 'pending'`,
        [notification.notificationId, giveUp ? 'failed' : 'pending', message, backoffMs],
      )
      // Not recorded: the claim runs out and the row is tried again, which is what a retry wants anyway.
      .catch((recordError: unknown) => log.warn({ err: recordError }, 'notification delivery: could not record a failed attempt'));
    businessMetrics().notificationDeliveryFailures.add(1, {
      ...attributes,
      'error.type': errorType,
      'notification.delivery.outcome': giveUp ? 'failed' : 'retry',
    });
    const logged = {
      notificationId: notification.notificationId,
      channel: notification.channel,
      attempt: notification.attempts,
      errorType,
    };
    if (giveUp) {
      log.error(
        { ...logged, err: error },
        `notification delivery failed for good${permanent ? ' (refused by the provider)' : ' (attempts spent)'}`,
      );
    } else {
      log.warn({ ...logged, retryInMs: backoffMs }, `notification delivery failed; retrying: ${message}`);
    }
    return giveUp ? 'failed' : 'retry';
  }

  private database(): Database {
    if (!this.db) throw new Error('NotificationDelivery used before start(db)');
    return this.db;
  }
}
