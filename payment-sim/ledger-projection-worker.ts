/**
 * The disk journal's projection into PostgreSQL, in a worker thread of payment-sim (started by
 * `WorkerLedgerProjection`, ledger-projection.ts): reads the durable records back from the journal's
 * segments, up to the count the simulator's thread keeps in shared memory, and projects them with
 * `LedgerProjection` on a connection pool of its own, so the cost of building each batch never
 * stalls the lines' event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../platform/db.js';
import { LedgerProjection, type FromProjectionWorker, type ProjectionWorkerData, type ToProjectionWorker } from './ledger-projection.js';

const { databaseUrl, dir, checkpoint, durable, options } = workerData as ProjectionWorkerData;
const port = parentPort!;
const durableThrough = new BigInt64Array(durable);
const db = openDatabase(databaseUrl, 'payments-projection');
const projection = new LedgerProjection(db, dir, checkpoint, options, () => Number(Atomics.load(durableThrough, 0)));
projection.onProjected = (through) => port.postMessage({ kind: 'projected', checkpoint: through } satisfies FromProjectionWorker);
projection.start();

port.on('message', (message: ToProjectionWorker) => {
  void projection
    .drain(message.timeoutMs)
    .finally(() => db.end())
    .finally(() => port.postMessage({ kind: 'drained' } satisfies FromProjectionWorker));
});
