/**
 * The shape every activity-worker service shares: its own database, an event publisher, a Temporal
 * worker on its task queue, and a small HTTP API with liveness and readiness (platform/health.ts),
 * stopped in reverse order. The worker is watched: if its `run()` fails, the process stops through
 * its stop sequence and exits 1 (platform/service.ts). Entry points only say which store,
 * activities and API are theirs.
 */
import type { Worker } from '@temporalio/worker';
import type { Hono } from 'hono';
import { closeHttpServer, startHttpServer } from './http.js';
import { type Database, openDatabase } from './db.js';
import { databaseReady, mountHealth, temporalWorkerRunning } from './health.js';
import { EventPublisher, kafkaClient } from './kafka.js';
import { runService, type ServiceLifecycle, type Stop } from './service.js';
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
  return runService(definition.service, async (lifecycle): Promise<Stop[]> => {
    const db = openDatabase(definition.databaseUrl, definition.databaseName);
    const store = definition.openStore(db);
    const events = new EventPublisher(kafkaClient(definition.service), definition.service);
    const { worker, running } = await startWorker({
      taskQueue: definition.taskQueue,
      activities: definition.activities(store, events),
    });
    watchWorker(lifecycle, worker, running, definition.taskQueue);
    const app = mountHealth(definition.api({ db, store }), [databaseReady(db), temporalWorkerRunning(worker, definition.taskQueue)]);
    const server = await startHttpServer(app, definition.port, `${definition.service} API`);
    return [
      () => db.end(),
      () => events.close(),
      () => stopWorker(worker, running),
      () => closeHttpServer(server),
    ];
  });
}

/** Hands the worker's `run()` to the service's lifecycle, so its failure stops the process. */
export function watchWorker(lifecycle: ServiceLifecycle, worker: Worker, running: Promise<void>, taskQueue: string): void {
  lifecycle.watch(`Temporal worker (task queue ${taskQueue}, ${worker.options.namespace})`, running);
}

/** Drains the worker (if it still runs) and waits for it; a worker that already failed is only awaited. */
export async function stopWorker(worker: Worker, running: Promise<void>): Promise<void> {
  // The SDK already drains on SIGINT/SIGTERM by itself; only ask when it has not begun.
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
}
