/**
 * The shape every Kafka consumer service shares (analytics, notification): its own database, a
 * consumer of every domain topic that applies each event once (platform/kafka.ts), and a small HTTP
 * API with liveness and readiness (platform/health.ts), stopped in reverse order. Entry points only
 * say how an event is applied and which API is theirs.
 */
import type { Hono } from 'hono';
import { type Database, openDatabase } from './db.js';
import { consumerGroupId } from './events/naming.js';
import { databaseReady, kafkaConsumerRunning, mountHealth } from './health.js';
import { closeHttpServer, startHttpServer } from './http.js';
import { type EventConsumerOptions, kafkaClient, startEventConsumer } from './kafka.js';
import { runService } from './service.js';

export interface ConsumerService {
  service: string;
  databaseUrl: string;
  databaseName: string;
  port: number;
  /** Applies one event, inside the transaction that marks it processed. */
  handle: EventConsumerOptions['handle'];
  api: (db: Database) => Hono;
  /** A loop of the service's own beside the consumer (the notification delivery), started last and stopped first. */
  alongside?: (db: Database) => () => Promise<void>;
}

export function runConsumerService(definition: ConsumerService): Promise<void> {
  return runService(definition.service, async () => {
    const db = openDatabase(definition.databaseUrl, definition.databaseName);
    const consumer = await startEventConsumer({
      kafka: kafkaClient(definition.service),
      groupId: consumerGroupId(definition.service),
      database: db,
      handle: definition.handle,
    });
    const app = mountHealth(definition.api(db), [databaseReady(db), kafkaConsumerRunning(consumer)]);
    const server = await startHttpServer(app, definition.port, `${definition.service} API`);
    const stops = [() => db.end(), () => consumer.disconnect(), () => closeHttpServer(server)];
    if (definition.alongside) stops.push(definition.alongside(db));
    return stops;
  });
}
