/**
 * One consumer's handling of one Kafka record, apart from kafkajs (platform/kafka.ts wires it in):
 * parse the event, apply it exactly once (effect and inbox row in one transaction), and when that
 * fails, decide between "try again later" and "give up: dead-letter it" (platform/consumer-failures.ts,
 * docs/dead-letters.md). It never throws for a record: the caller gets an outcome, and for a retry
 * the wait, so the partition can be paused without blocking the others and without losing the record.
 */
import { trace, SpanStatusCode } from '@opentelemetry/api';
import type { KafkaMessage, Message } from 'kafkajs';
import type pg from 'pg';
import {
  classifyConsumerFailure,
  type ConsumerFailure,
  deadLetterClass,
  deadLetterReason,
  type RetryPolicy,
  retryDelayMs,
  shouldDeadLetter,
} from './consumer-failures.js';
import { deadLetterMessage, headerText } from './dead-letters.js';
import { withTransaction } from './db.js';
import { type CloudEvent, parseEvent } from './events/envelope.js';
import { logger } from './logger.js';
import { businessMetrics } from './telemetry/metrics.js';

const log = logger('kafka');

/**
 * Applies one event's side effect inside the transaction that also marks it processed. It may
 * return a function to run once that transaction has committed (e.g. counting a metric), so
 * what it does happens once per event applied, never for a rolled-back attempt.
 */
export type EventHandler = (event: CloudEvent, transaction: pg.PoolClient) => Promise<void | (() => void)>;

/** Where dead letters go (the dead-letter topic; a test may collect them). */
export interface DeadLetterSink {
  send(message: Message): Promise<void>;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export type RecordOutcome =
  | { kind: 'applied' | 'duplicate' | 'dead-lettered'; attempts: number }
  | { kind: 'retry'; attempts: number; delayMs: number; failure: ConsumerFailure };

export interface RecordProcessorOptions {
  group: string;
  database: pg.Pool;
  handle: EventHandler;
  deadLetters: DeadLetterSink;
  policy: RetryPolicy;
  /** For the backoff's jitter; tests may fix it. */
  random?: () => number;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    // An AggregateError (a dual-stack connect refused twice) has an empty message of its own.
    if (error.message === '' && error instanceof AggregateError) return error.errors.map(errorMessage).join('; ');
    return error.message;
  }
  return String(error);
}

export class RecordProcessor {
  /** Failed attempts so far, per record not yet done with (`topic/partition/offset`). */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly options: RecordProcessorOptions) {}

  /** After a rebalance a record may have gone to another instance: its count starts again wherever it lands. */
  forgetAttempts(): void {
    this.attempts.clear();
  }

  /** Records tried and not yet done with (applied or dead-lettered). */
  get pendingRecords(): number {
    return this.attempts.size;
  }

  async process(record: ConsumedRecord): Promise<RecordOutcome> {
    const { topic, partition, message } = record;
    const position = `${topic}/${partition}/${message.offset}`;
    const attempts = (this.attempts.get(position) ?? 0) + 1;
    let applied: boolean | (() => void);
    try {
      applied = await this.apply(message);
    } catch (error) {
      return this.failed(record, position, attempts, error);
    }
    this.attempts.delete(position);
    if (!applied) {
      log.debug({ source: position }, 'duplicate event skipped');
      return { kind: 'duplicate', attempts };
    }
    if (typeof applied === 'function') applied();
    return { kind: 'applied', attempts };
  }

  /**
   * Parses and applies the record; false when the event had been applied before.
   *
   * The transaction commits synchronously whatever the database, role or server default: the
   * record's offset is committed to Kafka once this returns (platform/kafka.ts, at most 200 ms
   * later), and from then on Kafka never delivers it again, so the effect must be on disk first.
   * With `synchronous_commit = off` a COMMIT returns before its WAL is flushed; in chaos run 1
   * (docs/benchmarks.md) analytics applied an order.v1.completed, committed its offset, and lost the
   * applied event with PostgreSQL killed 0.3 s later: the order stayed PAYMENT_AUTHORIZED in
   * analytics for good.
   */
  private async apply(message: KafkaMessage): Promise<boolean | (() => void)> {
    const event = parseEvent(message.value);
    return withTransaction(this.options.database, async (transaction) => {
      await transaction.query('SET LOCAL synchronous_commit = on');
      const inserted = await transaction.query(
        'INSERT INTO processed_events (event_id, event_type, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [event.id, event.type, event.subject],
      );
      if (inserted.rowCount === 0) return false;
      return (await this.options.handle(event, transaction)) ?? true;
    });
  }

  private async failed(record: ConsumedRecord, position: string, attempts: number, error: unknown): Promise<RecordOutcome> {
    const { group, policy, random } = this.options;
    const failure = classifyConsumerFailure(error);
    const span = trace.getActiveSpan();
    const message = errorMessage(error);
    span?.setStatus({ code: SpanStatusCode.ERROR, message });
    const context = {
      source: position,
      group,
      attempt: attempts,
      failureClass: failure.class,
      ...(failure.code ? { code: failure.code } : {}),
      traceparent: headerText(record.message.headers, 'traceparent'),
      reason: message,
    };
    if (shouldDeadLetter(failure, attempts, policy)) {
      const errorClass = deadLetterClass(failure);
      const reason = deadLetterReason(failure);
      try {
        await this.options.deadLetters.send(
          deadLetterMessage(
            { group, ...record },
            { reason, errorClass, message, attempts, ...(failure.code ? { code: failure.code } : {}) },
          ),
        );
      } catch (sendError) {
        // The record stays where it is and comes back after the wait; with its count kept, it goes
        // straight to the dead-letter topic then.
        this.attempts.set(position, attempts);
        const delayMs = retryDelayMs(attempts, policy, random);
        log.warn({ ...context, err: sendError, delayMs }, 'could not dead-letter the record; retrying it');
        return { kind: 'retry', attempts, delayMs, failure: { class: 'transient', code: 'dead-letter-send' } };
      }
      this.attempts.delete(position);
      businessMetrics().consumerDeadLetters.add(1, { 'messaging.consumer.group.name': group, reason, 'error.class': errorClass });
      span?.addEvent('dead-lettered', { 'dlq.reason': reason, 'dlq.error_class': errorClass, 'dlq.attempts': attempts });
      log.error({ ...context, dlqReason: reason, dlqErrorClass: errorClass }, 'record dead-lettered');
      return { kind: 'dead-lettered', attempts };
    }
    this.attempts.set(position, attempts);
    const delayMs = retryDelayMs(attempts, policy, random);
    businessMetrics().consumerRetries.add(1, { 'messaging.consumer.group.name': group, 'error.class': failure.class });
    log.warn({ ...context, delayMs }, 'could not apply the record; retrying it');
    return { kind: 'retry', attempts, delayMs, failure };
  }
}
