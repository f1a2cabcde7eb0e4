/**
 * The disk journal's projection into PostgreSQL, in a worker thread of payment-sim (started by
 * `WorkerLedgerProjection`, ledger-projection.ts): reads the durable records back from the journal's
 * segments, up to the count the simulator's thread keeps in shared memory, and projects them with
 * `LedgerProjection` on a connection pool of its own, so the cost of building each batch never
 * stalls the lines' event loop.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../platform/db.js';
import { LedgerProjection, type FromProjectionWorker, type ProjectionWorkerData, type ToProjectionWorker } from './ledger-projection.js';

const { databaseUrl, dir, checkpoint, durable, options } = workerData as ProjectionWorkerData;
const port = parentPort!;
const durableThrough = new BigInt64Array(durable);
const db = openDatabase(databaseUrl, 'payments-projection');
// Background work: on two cores the projection must not take a core from the lines' thread (and
// the disk write it waits on) when both want one. Linux keeps a nice value per thread.
lowerThisThreadsPriority();
const projection = new LedgerProjection(db, dir, checkpoint, options, () => Number(Atomics.load(durableThrough, 0)));
projection.onProjected = (through) => port.postMessage({ kind: 'projected', checkpoint: through } satisfies FromProjectionWorker);
projection.start();

function lowerThisThreadsPriority(): void {
  try {
    const threadId = Number(fs.readlinkSync('/proc/thread-self').split('/').at(-1));
    os.setPriority(threadId, 10);
  } catch {
    // Not Linux, or not allowed: the projection runs at the process's priority.
  }
}

port.on('message', (message: ToProjectionWorker) => {
  void projection
    .drain(message.timeoutMs)
    .finally(() => db.end())
    .finally(() => port.postMessage({ kind: 'drained' } satisfies FromProjectionWorker));
});
