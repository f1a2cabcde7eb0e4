/**
 * Kafka for every service: publishing CloudEvents, and consuming them exactly once in effect
 * (the side effect and the "event processed" mark commit in one database transaction).
 */
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer, type ProducerRecord } from 'kafkajs';
import type pg from 'pg';
import { config } from './config.js';
import { kafkaConnectionSettings } from './connections.js';
import { withTransaction } from './db.js';
import { logger } from './logger.js';
import { context, propagation, trace } from '@opentelemetry/api';
import { ConsumerLagMonitor } from './telemetry/kafka-lag.js';
import { consumerSpanAttributes } from './telemetry/messaging.js';
import {
  deadLetterTopic,
  type EventData,
  type EventType,
  partitionsPerTopic,
  topicFor,
  topics,
} from './events/catalog.js';
import {
  buildEvent,
  CLOUDEVENTS_CONTENT_TYPE,
  type CloudEvent,
  InvalidEventError,
  parseEvent,
} from './events/envelope.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const log = logger('kafka');

export function kafkaClient(service: string): Kafka {
  const env = config();
  return new Kafka({
    clientId: `${env.KAFKA_CLIENT_ID_PREFIX}-${service}`,
    // brokers, and TLS and SASL when the cluster wants them (platform/connections.ts)
    ...kafkaConnectionSettings(env),
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }) => {
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
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitionsPerTopic,
          replicationFactor: config().KAFKA_TOPIC_REPLICATION_FACTOR,
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
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
  constructor(kafka: Kafka, private readonly service: string) {
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
  handle: (event: CloudEvent, transaction: pg.PoolClient) => Promise<void | (() => void)>;
}

/**
 * Consumes every domain topic. Each event is applied once: `processed_events` (a table every
 * consuming service has) gets the event id in the same transaction as the effect, so a redelivery
 * after a crash is skipped. Records that are not valid events go to the dead-letter topic with the
 * reason, and the consumer moves on; a database failure throws, so kafkajs retries the record and
 * nothing is lost.
 */
export async function startEventConsumer(options: EventConsumerOptions): Promise<Consumer> {
  const consumer = options.kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false });
  const deadLetters = new LazyProducer(options.kafka);
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
  await consumer.run({
    // eachMessage (not eachBatch) so the instrumentation makes each processing span a child of its producer span.
    eachMessage: async ({ topic, partition, message }) => {
      trace.getActiveSpan()?.setAttributes(consumerSpanAttributes(options.groupId, partition));
      let event: CloudEvent;
      try {
        event = parseEvent(message.value);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        log.warn({ topic, partition, offset: message.offset, kind: error.kind, reason: error.message }, 'dead-lettering record');
        await sendToDeadLetter(deadLetters, { group: options.groupId, topic, partition, message }, error);
        return;
      }
      const applied = await withTransaction(options.database, async (transaction) => {
        const inserted = await transaction.query(
          'INSERT INTO processed_events (event_id, event_type, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [event.id, event.type, event.subject],
        );
        if (inserted.rowCount === 0) return false;
        return (await options.handle(event, transaction)) ?? true;
      });
      if (!applied) log.debug({ eventId: event.id, type: event.type }, 'duplicate event skipped');
      else if (typeof applied === 'function') applied();
    },
  });
  const lag = new ConsumerLagMonitor(options.kafka, options.groupId, Object.values(topics));
  lag.start();
  const originalDisconnect = consumer.disconnect.bind(consumer);
  consumer.disconnect = async () => {
    await lag.stop();
    await originalDisconnect();
    await deadLetters.close();
  };
  return consumer;
}

/** Forwards an unprocessable record, untouched, to the dead-letter topic with why and where it came from. */
function sendToDeadLetter(
  producer: LazyProducer,
  source: { group: string; topic: string; partition: number; message: KafkaMessage },
  error: InvalidEventError,
): Promise<void> {
  const { group, topic, partition, message } = source;
  return producer.send({
    topic: deadLetterTopic,
    messages: [
      {
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          'dlq-reason': error.kind,
          'dlq-detail': error.message.slice(0, 1000),
          'dlq-source': `${topic}/${partition}/${message.offset}`,
          'dlq-consumer-group': group,
        },
      },
    ],
  });
}
