/**
 * The disk journal's projection into PostgreSQL (ledger-journal.ts; docs/payment-telegram.md#the-ledger):
 * durable records are applied in batches with the PostgreSQL journal's own statement (`LEDGER_FLUSH`),
 * and `ledger_journal_checkpoint` moves to the last record applied in the same transaction. Applying a
 * record twice changes nothing. PostgreSQL down: retried with capped backoff, the records kept.
 *
 * Why a worker thread in the service: building a batch's statement values costs the event loop
 * several microseconds a record (thousands of array elements escaped for the wire), which every
 * 150 ms at 25,000 approvals/s is a stall of many milliseconds, longer than the TCP line's p99
 * budget. In a worker (`WorkerLedgerProjection`, ledger-projection-worker.ts) it runs on the other
 * core, and the simulator's thread only hands over the bytes it has just written to the journal.
 * In-process (`LedgerProjection`) is the same code, for tests with a stand-in database.
 */
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { decodeRecords, type JournalRecord } from './ledger-journal.js';
import {
  emptyLedgerChanges,
  isEmpty,
  LEDGER_FLUSH,
  ledgerFlushValues,
  tombstoneKeyOf,
  withDeadline,
  type LedgerChanges,
} from './ledger-store.js';

export interface ProjectionOptions {
  /** How often durable records are projected; default 150 ms. */
  projectEveryMs?: number;
  /** Most records one transaction applies; default 20,000. */
  projectBatchRecords?: number;
  /** First retry delay after a failed projection; doubles up to `retryMaxDelayMs` (default 100 ms, 5 s). */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
}

/** What the journal needs of a projection, wherever it runs. */
export interface Projection {
  /** `count` durable records, in journal order: framed as the journal wrote them, and decoded when `wantsRecords`. */
  add(count: number, encoded: Buffer, records?: readonly JournalRecord[]): void;
  /** Whether `add` needs the decoded records (in-process) or only the bytes (a worker decodes them). */
  readonly wantsRecords: boolean;
  /** Number of the last record PostgreSQL holds. */
  readonly checkpoint: number;
  /** Records added and not yet in PostgreSQL. */
  readonly lag: number;
  /** Called after each commit with the new checkpoint. */
  onProjected: (checkpoint: number) => void;
  start(): void;
  /** Projects until nothing is left or `timeoutMs` has passed, then stops. */
  drain(timeoutMs: number): Promise<void>;
  /** Stops at once, projecting nothing more (a crash, in tests). */
  abandon(): void;
}

const log = logger('payment-ledger-projection');

export class LedgerProjection implements Projection {
  readonly wantsRecords = true;
  onProjected: (checkpoint: number) => void = () => undefined;
  /** Records not yet projected, oldest first; the first is record `checkpoint + 1`. */
  private unprojected: JournalRecord[] = [];
  private projectedThrough: number;
  private projecting: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private retryDelayMs: number;
  private readonly projectEveryMs: number;
  private readonly projectBatchRecords: number;
  private readonly retryInitialDelayMs: number;
  private readonly retryMaxDelayMs: number;
  /** Projection transactions, the records they applied, and failed attempts. */
  readonly stats = { projections: 0, projected: 0, failures: 0 };

  constructor(
    private readonly db: pg.Pool,
    checkpoint: number,
    options: ProjectionOptions = {},
  ) {
    this.projectedThrough = checkpoint;
    this.projectEveryMs = options.projectEveryMs ?? 150;
    this.projectBatchRecords = options.projectBatchRecords ?? 20_000;
    this.retryInitialDelayMs = options.retryInitialDelayMs ?? 100;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 5_000;
    this.retryDelayMs = this.retryInitialDelayMs;
  }

  get checkpoint(): number {
    return this.projectedThrough;
  }

  get lag(): number {
    return this.unprojected.length;
  }

  add(_count: number, encoded: Buffer, records: readonly JournalRecord[] = decodeRecords(encoded).records): void {
    for (const record of records) this.unprojected.push(record);
  }

  start(): void {
    this.schedule(0);
  }

  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    clearTimeout(this.timer);
    this.stopped = true;
    while (this.unprojected.length > 0 && performance.now() < deadline) {
      const ok = await withDeadline(this.projectOnce(), deadline - performance.now());
      if (!ok && performance.now() < deadline) await sleep(Math.min(this.retryDelayMs, deadline - performance.now()));
    }
    await this.projecting;
    if (this.unprojected.length > 0)
      log.warn({ lag: this.unprojected.length }, 'ledger records not yet projected at shutdown stay in the journal for the next start');
  }

  abandon(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.projectOnce().then((ok) => {
        if (ok) this.schedule(this.unprojected.length >= this.projectBatchRecords ? 0 : this.projectEveryMs);
        else {
          const delay = this.retryDelayMs;
          this.retryDelayMs = Math.min(this.retryMaxDelayMs, this.retryDelayMs * 2);
          this.schedule(delay);
        }
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Applies the oldest unprojected records in one transaction; false when PostgreSQL refused. */
  private projectOnce(): Promise<boolean> {
    this.projecting ??= this.applyBatch().finally(() => {
      this.projecting = undefined;
    });
    return this.projecting;
  }

  private async applyBatch(): Promise<boolean> {
    const batch = this.unprojected.slice(0, this.projectBatchRecords);
    if (batch.length === 0) return true;
    const through = this.projectedThrough + batch.length;
    const changes = changesOf(batch);
    let client: pg.PoolClient | undefined;
    try {
      client = await this.db.connect();
      await client.query('BEGIN');
      if (!isEmpty(changes)) await client.query({ name: 'payment-ledger-flush', text: LEDGER_FLUSH, values: ledgerFlushValues(changes) });
      await client.query('UPDATE ledger_journal_checkpoint SET position = $1', [through]);
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      if (client) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(error as Error);
      }
      this.stats.failures += 1;
      this.failing = true;
      log.error(
        { err: error, lag: this.unprojected.length, retryInMs: this.retryDelayMs },
        'ledger projection into PostgreSQL failed; answers go on from the journal, the projection retries',
      );
      return false;
    }
    if (this.failing) log.info({ lag: this.unprojected.length - batch.length }, 'ledger projection into PostgreSQL resumed');
    this.failing = false;
    this.retryDelayMs = this.retryInitialDelayMs;
    this.unprojected.splice(0, batch.length);
    this.projectedThrough = through;
    this.stats.projections += 1;
    this.stats.projected += batch.length;
    this.onProjected(through);
    return true;
  }
}

/** The latest state of each thing `records` touch, for one `LEDGER_FLUSH`. */
export function changesOf(records: readonly JournalRecord[]): LedgerChanges {
  const changes = emptyLedgerChanges();
  for (const record of records) {
    if (record.kind === 'payment') changes.payments.set(record.payment.paymentId, { payment: record.payment, seq: record.seq });
    else if (record.kind === 'tombstone') changes.tombstones.set(tombstoneKeyOf(record.tombstone), record.tombstone);
    else changes.answers.set(record.key, record.answer);
  }
  return changes;
}

/** What the worker is started with (ledger-projection-worker.ts). */
export interface ProjectionWorkerData {
  databaseUrl: string;
  checkpoint: number;
  options: ProjectionOptions;
}

/** Messages between the simulator's thread and the projection's worker. */
export type ToProjectionWorker = { kind: 'records'; data: Uint8Array } | { kind: 'drain'; timeoutMs: number };
export type FromProjectionWorker = { kind: 'projected'; checkpoint: number } | { kind: 'drained' };

/** `LedgerProjection` in a worker thread with its own connection pool: the simulator's thread only posts bytes. */
export class WorkerLedgerProjection implements Projection {
  readonly wantsRecords = false;
  onProjected: (checkpoint: number) => void = () => undefined;
  private projectedThrough: number;
  /** Number of the last record handed to the worker. */
  private addedThrough: number;
  private readonly worker: Worker;
  private drained: (() => void) | undefined;
  private closing = false;

  constructor(databaseUrl: string, checkpoint: number, options: ProjectionOptions, onCrash: (error: unknown) => void) {
    this.projectedThrough = checkpoint;
    this.addedThrough = checkpoint;
    // Only the settings: the caller's options may hold what cannot cross threads (a pool, callbacks).
    const { projectEveryMs, projectBatchRecords, retryInitialDelayMs, retryMaxDelayMs } = options;
    const workerData: ProjectionWorkerData = {
      databaseUrl,
      checkpoint,
      options: { projectEveryMs, projectBatchRecords, retryInitialDelayMs, retryMaxDelayMs },
    };
    // The worker runs TypeScript like the service: tsx is registered in it before its module loads.
    const entry = new URL('./ledger-projection-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    this.worker = new Worker(
      `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true, execArgv: [], workerData },
    );
    this.worker.on('message', (message: FromProjectionWorker) => {
      if (message.kind === 'projected') {
        this.projectedThrough = message.checkpoint;
        this.onProjected(message.checkpoint);
      } else this.drained?.();
    });
    // Without its worker nothing reaches PostgreSQL any more; the records are safe in the journal,
    // and a restart projects them, so the worker's end is the simulator's.
    this.worker.on('error', (error) => {
      log.error({ err: error }, 'the ledger projection worker failed');
      if (!this.closing) onCrash(error);
    });
    this.worker.on('exit', (code) => {
      if (!this.closing) onCrash(new Error(`the ledger projection worker exited (${code})`));
    });
    this.worker.unref();
  }

  get checkpoint(): number {
    return this.projectedThrough;
  }

  get lag(): number {
    return this.addedThrough - this.projectedThrough;
  }

  add(count: number, encoded: Buffer): void {
    this.addedThrough += count;
    this.worker.postMessage({ kind: 'records', data: encoded } satisfies ToProjectionWorker);
  }

  start(): void {
    // The worker projects from the moment it starts.
  }

  async drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    const done = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    this.worker.postMessage({ kind: 'drain', timeoutMs } satisfies ToProjectionWorker);
    await withDeadline(done, timeoutMs + 1_000);
    await this.worker.terminate();
  }

  abandon(): void {
    this.closing = true;
    void this.worker.terminate();
  }
}
