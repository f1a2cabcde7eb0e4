/**
 * The disk journal's projection into PostgreSQL, in a worker thread of payment-sim (started by
 * `WorkerLedgerProjection`, ledger-projection.ts): decodes the records the simulator's thread
 * hands over and projects them with `LedgerProjection` on a connection pool of its own, so the
 * cost of building each batch never stalls the lines' event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../platform/db.js';
import { decodeRecords } from './ledger-journal.js';
import { LedgerProjection, type FromProjectionWorker, type ProjectionWorkerData, type ToProjectionWorker } from './ledger-projection.js';

const { databaseUrl, checkpoint, options } = workerData as ProjectionWorkerData;
const port = parentPort!;
const db = openDatabase(databaseUrl, 'payments-projection');
const projection = new LedgerProjection(db, checkpoint, options);
projection.onProjected = (through) => port.postMessage({ kind: 'projected', checkpoint: through } satisfies FromProjectionWorker);
projection.start();

port.on('message', (message: ToProjectionWorker) => {
  if (message.kind === 'records') {
    const { records } = decodeRecords(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
    projection.add(records.length, Buffer.alloc(0), records);
    return;
  }
  void projection
    .drain(message.timeoutMs)
    .finally(() => db.end())
    .finally(() => port.postMessage({ kind: 'drained' } satisfies FromProjectionWorker));
});
