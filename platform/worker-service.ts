/**
 * The shape every Temporal worker service shares (order, inventory, fulfillment): its own database,
 * an event publisher, a Temporal worker on its task queue, and a small HTTP API with liveness and
 * readiness (platform/health.ts), stopped in reverse order. The worker is watched: if its `run()`
 * fails, the process stops through its stop sequence and exits 1 (platform/service.ts). Entry points
 * only say which store, activities and API are theirs, and what more they hold: clients of other
 * systems (`openParts`), workflow code, and work that runs beside the worker (`alongside`).
 */
import type { ActivityFunction } from '@temporalio/common';
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { Hono } from 'hono';
import { closeHttpServer, startHttpServer } from './http.js';
import { type Database, openDatabase } from './db.js';
import { FaultBook, faultApi, withFaults } from './faults.js';
import { databaseReady, mountHealth, type ReadinessCheck, temporalWorkerRunning } from './health.js';
import { EventPublisher, kafkaClient } from './kafka.js';
import { runService, type ServiceLifecycle, type Stop } from './service.js';
import { startWorker, type WorkflowCode } from './temporal.js';

export interface WorkerService<Store, Parts extends object = object> {
  service: string;
  databaseUrl: string;
  databaseName: string;
  taskQueue: string;
  port: number;
  openStore: (db: Database) => Store;
  /** What else the service holds (clients of other systems), opened before the worker; their stops run after it has stopped. */
  openParts?: () => Promise<{ parts: Parts; stops: Stop[] }>;
  /** The worker's Temporal connection, when one of the parts is a client on it (platform/temporal.ts, clientOn). */
  workerConnection?: (parts: Parts) => NativeConnection;
  activities: (store: Store, events: EventPublisher, parts: Parts) => Record<string, ActivityFunction>;
  /**
   * Faults injected on demand into the activities (PUT /admin/faults on the service's API,
   * platform/faults.ts): the chaos suite slows steps with them.
   */
  faultInjection?: boolean;
  /** The workflows this worker runs, if any. */
  workflows?: WorkflowCode;
  /** The worker's sinks, made once the service has started (they log under its name). */
  sinks?: () => WorkerOptions['sinks'];
  /** Work started once the worker runs (a sweeper); its stop runs before the worker's. */
  alongside?: (deps: { store: Store } & Parts) => Stop;
  api: (deps: { db: Database; store: Store } & Parts) => Hono;
  /** Readiness checks beyond the database and the worker. */
  readiness?: (parts: Parts) => ReadinessCheck[];
}

export function runWorkerService<Store, Parts extends object = object>(definition: WorkerService<Store, Parts>): Promise<void> {
  return runService(definition.service, async (lifecycle): Promise<Stop[]> => {
    const db = openDatabase(definition.databaseUrl, definition.databaseName);
    const store = definition.openStore(db);
    const events = new EventPublisher(kafkaClient(definition.service), definition.service);
    const { parts, stops: partStops } = definition.openParts ? await definition.openParts() : { parts: {} as Parts, stops: [] };
    const faults = definition.faultInjection ? new FaultBook() : undefined;
    const activities = definition.activities(store, events, parts);
    const { worker, running } = await startWorker({
      taskQueue: definition.taskQueue,
      ...(definition.workflows ? { workflows: definition.workflows } : {}),
      ...(definition.sinks ? { sinks: definition.sinks() } : {}),
      activities: faults ? withFaults(activities, faults) : activities,
      ...(definition.workerConnection ? { connection: definition.workerConnection(parts) } : {}),
    });
    watchWorker(lifecycle, worker, running, definition.taskQueue);
    const stopAlongside = definition.alongside?.({ store, ...parts });
    const api = definition.api({ db, store, ...parts });
    const app = mountHealth(faults ? api.route('/', faultApi(faults)) : api, [
      databaseReady(db),
      temporalWorkerRunning(worker, definition.taskQueue),
      ...(definition.readiness?.(parts) ?? []),
    ]);
    const server = await startHttpServer(app, definition.port, `${definition.service} API`);
    return [
      () => db.end(),
      () => events.close(),
      ...partStops,
      () => stopWorker(worker, running),
      ...(stopAlongside ? [stopAlongside] : []),
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
