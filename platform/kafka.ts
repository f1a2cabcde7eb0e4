/**
 * Kafka for every service: publishing CloudEvents, and consuming them exactly once in effect
 * (the side effect and the "event processed" mark commit in one database transaction), with
 * retries and a dead-letter topic for records that fail (platform/record-processor.ts,
 * docs/dead-letters.md).
 */
import { Kafka, logLevel, type Admin, type Consumer, type ITopicConfig, type Producer, type ProducerRecord } from 'kafkajs';
import type pg from 'pg';
import { context, propagation, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { config } from './config.js';
import './kafkajs-request-queue.js';
import { kafkaConnectionSettings } from './connections.js';
import type { RetryPolicy } from './consumer-failures.js';
import { logger } from './logger.js';
import { type EventHandler, RecordProcessor } from './record-processor.js';
import { ConsumerLagMonitor } from './telemetry/kafka-lag.js';
import { consumerSpanAttributes } from './telemetry/messaging.js';
import { deadLetterTopic, type EventData, type EventType, partitionsPerTopic, topicFor, topics } from './events/catalog.js';
import { buildEvent, CLOUDEVENTS_CONTENT_TYPE, type CloudEvent } from './events/envelope.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const log = logger('kafka');

export function kafkaClient(service: string): Kafka {
  const env = config();
  return new Kafka({
    clientId: `${env.KAFKA_CLIENT_ID_PREFIX}-${service}`,
    // brokers, and TLS and SASL when the cluster wants them (platform/connections.ts)
    ...kafkaConnectionSettings(env),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }) => {
        const { message, ...rest } = entry;
        const method = level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'debug';
        log[method]({ namespace, ...rest }, message);
      },
  });
}

/** Creates every topic the estate uses (idempotent), with the documented partition count. */
export async function ensureTopics(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = [...Object.values(topics), deadLetterTopic];
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await createServedTopics(
        admin,
        missing.map((topic) => ({
          topic,
          numPartitions: partitionsPerTopic,
          replicationFactor: config().KAFKA_TOPIC_REPLICATION_FACTOR,
        })),
      );
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics and returns once every partition is served by its leader. kafkajs' own
 * `waitForLeaders` is not enough on a busy KRaft broker: its metadata poll retries only "leader not
 * available", and a broker that has not loaded a new topic yet answers "This server does not host
 * this topic-partition", which it throws (seen in CI, and here under load, right after a test created
 * its topics). A ListOffsets answered for every partition is the broker itself saying it serves them.
 */
export async function createServedTopics(admin: Admin, specs: ITopicConfig[], timeoutMs = 30_000): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics: specs });
  const deadline = Date.now() + timeoutMs;
  for (const { topic, numPartitions } of specs) {
    for (;;) {
      const served = await admin.fetchTopicOffsets(topic).then(
        (offsets) => numPartitions === undefined || offsets.length >= numPartitions,
        () => false,
      );
      if (served) break;
      if (Date.now() > deadline) throw new Error(`topic ${topic}: its partitions were not served within ${timeoutMs} ms of being created`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A producer that connects on first use, so a service can start before Kafka is reachable. */
class LazyProducer {
  private connected: Promise<void> | undefined;
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
  }

  async send(record: ProducerRecord): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    await this.producer.send({ acks: -1, ...record });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}

export class EventPublisher {
  private readonly producer: LazyProducer;

  /** `service` becomes the events' CloudEvents `source` (`ordersaga/<service>`). */
  constructor(
    kafka: Kafka,
    private readonly service: string,
  ) {
    this.producer = new LazyProducer(kafka);
  }

  /** Builds (validating the data against its schema) and publishes one event; returns it. */
  async emit<T extends EventType>(type: T, data: EventData<T>): Promise<CloudEvent<T>> {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    const event = buildEvent({ type, source: `ordersaga/${this.service}`, data, traceparent: carrier.traceparent });
    await this.publish(event);
    return event;
  }

  /** Publishes one event to its domain's topic, keyed by order id, waiting for all in-sync replicas. */
  async publish(event: CloudEvent): Promise<void> {
    await this.producer.send({
      topic: topicFor(event.type),
      messages: [
        {
          key: event.subject,
          value: JSON.stringify(event),
          headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ce_id: event.id, ce_type: event.type },
        },
      ],
    });
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

export interface EventConsumerOptions {
  kafka: Kafka;
  groupId: string;
  database: pg.Pool;
  /**
   * Applies one event's side effect inside the transaction that also marks it processed. It may
   * return a function to run once that transaction has committed (e.g. counting a metric), so
   * what it does happens once per event applied, never for a rolled-back attempt.
   */
  handle: EventHandler;
  /** Topics to consume; default: every domain topic. */
  topics?: string[];
  /** Where records the consumer gives up on go; default: the estate's dead-letter topic. */
  deadLetterTopic?: string;
  /** Attempts and backoff; default: CONSUMER_MAX_ATTEMPTS, CONSUMER_RETRY_INITIAL_MS, CONSUMER_RETRY_MAX_MS. */
  retryPolicy?: RetryPolicy;
}

export function retryPolicyFromConfig(): RetryPolicy {
  const env = config();
  return { maxAttempts: env.CONSUMER_MAX_ATTEMPTS, initialDelayMs: env.CONSUMER_RETRY_INITIAL_MS, maxDelayMs: env.CONSUMER_RETRY_MAX_MS };
}

/**
 * A consumer's fetch: it waits for CONSUMER_FETCH_MIN_BYTES or CONSUMER_FETCH_MAX_WAIT_MS. The wait
 * also bounds how soon a partition resumed after a retry joins a fetch (the one in flight, a long
 * poll of the others, ends within it), so a retry comes at most that long after its backoff, not
 * kafkajs' default five seconds.
 */
export function fetchWaits(): { minBytes: number; maxWaitTimeInMs: number } {
  const env = config();
  return { minBytes: env.CONSUMER_FETCH_MIN_BYTES, maxWaitTimeInMs: env.CONSUMER_FETCH_MAX_WAIT_MS };
}

/**
 * Consumes every domain topic. Each event is applied once: `processed_events` (a table every
 * consuming service has) gets the event id in the same transaction as the effect, so a redelivery
 * after a crash is skipped.
 *
 * A record that fails is never skipped silently and never stalls the consumer (docs/dead-letters.md):
 * its partition is paused, the consumer seeks back to the record, and the partition resumes after a
 * capped exponential backoff, while the other partitions go on. A record that will never apply goes
 * to the dead-letter topic (at once when it is not a valid event, after CONSUMER_MAX_ATTEMPTS when
 * the database refuses it); one that fails because the database is away is retried until it applies.
 *
 * Offsets are committed by hand, only for records applied or dead-lettered: kafkajs' auto-commit
 * commits the offset after a paused record at the end of its batch, and the seek back re-commits the
 * record's own offset only at the next fetch; a crash in between would skip the record.
 */
export async function startEventConsumer(options: EventConsumerOptions): Promise<Consumer> {
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    ...fetchWaits(),
  });
  const deadLetters = new LazyProducer(options.kafka);
  const deadLetterDestination = options.deadLetterTopic ?? deadLetterTopic;
  const processor = new RecordProcessor({
    group: options.groupId,
    database: options.database,
    handle: options.handle,
    policy: options.retryPolicy ?? retryPolicyFromConfig(),
    deadLetters: {
      // Untraced, so the instrumentation does not replace the record's own traceparent header with
      // the send's: the dead letter keeps the original headers unchanged.
      send: (message) =>
        context.with(suppressTracing(context.active()), () => deadLetters.send({ topic: deadLetterDestination, messages: [message] })),
    },
  });
  const resumeTimers = new Set<NodeJS.Timeout>();
  const commits = new OffsetCommits(consumer, config().CONSUMER_COMMIT_INTERVAL_MS);
  const subscribed = options.topics ?? Object.values(topics);
  await consumer.connect();
  await consumer.subscribe({ topics: subscribed, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => processor.forgetAttempts());
  await consumer.run({
    autoCommit: false,
    // eachMessage (not eachBatch) so the instrumentation makes each processing span a child of its producer span.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kafkajs makes `pause` a closure over the batch, not a method
    eachMessage: async ({ topic, partition, message, pause }) => {
      trace.getActiveSpan()?.setAttributes(consumerSpanAttributes(options.groupId, partition));
      const outcome = await processor.process({ topic, partition, message });
      if (outcome.kind === 'retry') {
        // Not done: fetch this partition again from this record, after the wait. kafkajs marks the
        // record consumed when we return, but only in memory (no auto-commit); the seek undoes that.
        const resume = pause();
        consumer.seek({ topic, partition, offset: message.offset });
        const timer = setTimeout(() => {
          resumeTimers.delete(timer);
          resume();
        }, outcome.delayMs);
        resumeTimers.add(timer);
        return;
      }
      commits.done(topic, partition, message.offset);
    },
  });
  const lag = new ConsumerLagMonitor(options.kafka, options.groupId, subscribed);
  lag.start();
  const originalDisconnect = consumer.disconnect.bind(consumer);
  consumer.disconnect = async () => {
    for (const timer of resumeTimers) clearTimeout(timer);
    resumeTimers.clear();
    await commits.flush();
    commits.stop();
    await lag.stop();
    await originalDisconnect();
    await deadLetters.close();
  };
  return consumer;
}

/**
 * The offsets of records applied or dead-lettered, committed by hand at most
 * CONSUMER_COMMIT_INTERVAL_MS later (a second by default): a commit per record would cost a broker
 * round trip each (measured on this machine, 1000 records, one consumer: 330-370 records/s
 * committing each, 470-640 with kafkajs' per-batch auto-commit, 1100-1570 with this). Only records
 * that are done are ever committed; a crash or a rebalance before the flush redelivers the last
 * second's records, and the inbox skips them. A failed commit is not the
 * record's failure: it is tried again at the next flush.
 */
class OffsetCommits {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly intervalMs: number,
  ) {}

  /** The record at `offset` is done: everything before `offset` + 1 may be committed. */
  done(topic: string, partition: number, offset: string): void {
    this.pending.set(`${topic}|${partition}`, { topic, partition, offset: (BigInt(offset) + 1n).toString() });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    try {
      await this.consumer.commitOffsets(batch);
    } catch (error) {
      log.warn({ err: error, offsets: batch }, 'offset commit failed; records may be delivered again (and skipped)');
      // Back in the queue unless a later record of the partition is already there.
      for (const entry of batch) {
        const key = `${entry.topic}|${entry.partition}`;
        if (!this.pending.has(key)) this.pending.set(key, entry);
      }
      this.schedule();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
