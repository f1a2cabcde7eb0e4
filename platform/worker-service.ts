/**
 * The shape every activity-worker service shares: its own database, an event publisher, a Temporal
 * worker on its task queue, and a small HTTP API, stopped in reverse order. Entry points only say
 * which store, activities and API are theirs.
 */
import type { Hono } from 'hono';
import { closeHttpServer, startHttpServer } from './http.js';
import { type Database, openDatabase } from './db.js';
import { EventPublisher, kafkaClient } from './kafka.js';
import { runService, type Stop } from './service.js';
import { startWorker } from './temporal.js';

export interface ActivityWorkerService<Store> {
  service: string;
  databaseUrl: string;
  databaseName: string;
  taskQueue: string;
  port: number;
  openStore: (db: Database) => Store;
  activities: (store: Store, events: EventPublisher) => object;
  api: (deps: { db: Database; store: Store }) => Hono;
}

export function runActivityWorkerService<Store>(definition: ActivityWorkerService<Store>): Promise<void> {
  return runService(definition.service, async (): Promise<Stop[]> => {
    const db = openDatabase(definition.databaseUrl, definition.databaseName);
    const store = definition.openStore(db);
    const events = new EventPublisher(kafkaClient(definition.service), definition.service);
    const { worker, running } = await startWorker({
      taskQueue: definition.taskQueue,
      activities: definition.activities(store, events),
    });
    const server = await startHttpServer(definition.api({ db, store }), definition.port, `${definition.service} API`);
    return [
      () => db.end(),
      () => events.close(),
      async () => {
        // The SDK already drains on SIGINT/SIGTERM by itself; only ask when it has not begun.
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
      () => closeHttpServer(server),
    ];
  });
}
