/**
 * The disk journal's projection into PostgreSQL (ledger-journal.ts; docs/payment-telegram.md#the-ledger):
 * durable records are applied in batches, payments by COPY into a temporary table and one upsert from
 * it (`PROJECT_STAGED_PAYMENTS`: PostgreSQL's CPU per projected row 18–20 → 13–15 µs), tombstones and
 * stored answers with the PostgreSQL journal's own statement (`LEDGER_FLUSH`), and
 * `ledger_journal_checkpoint` moves to the last record applied in the same transaction. Applying a
 * record twice changes nothing. PostgreSQL down: retried with capped backoff, the records kept.
 *
 * The projection reads the records back from the journal's segment files (`SegmentTail`): the
 * simulator's thread only says how many records are durable, so it copies, posts and keeps nothing
 * for the projection, and however far PostgreSQL falls behind, the projection holds one batch in
 * memory (a CPU profile at 12,000 approvals/s had the hand-over of each written group to the worker
 * at 5–6 % of the 전문 thread; the journal's bytes are in the page cache when the worker reads them).
 *
 * Why a worker thread in the service: building a batch's statement values costs several
 * microseconds a record (thousands of array elements escaped for the wire), which in the lines'
 * event loop would stall answers for many milliseconds per batch, longer than the TCP line's p99
 * budget. In a worker (`WorkerLedgerProjection`, ledger-projection-worker.ts) it runs on the other
 * core, and the durable count crosses in shared memory: no message, so no wake-up, per group.
 * In-process (`LedgerProjection`) is the same code, for tests with a stand-in database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { logger } from '../platform/logger.js';
import { decodeRecords, isWholeRecord, segmentName, segmentsIn, type JournalRecord } from './ledger-journal.js';
import {
  emptyLedgerChanges,
  isEmpty,
  LEDGER_FLUSH,
  ledgerFlushValues,
  tombstoneKeyOf,
  withDeadline,
  type LedgerChanges,
} from './ledger-store.js';
import type { Payment } from './ledger.js';

export interface ProjectionOptions {
  /**
   * How often durable records are projected; default 1 s. Bigger, rarer batches cost PostgreSQL and
   * the worker less per record (measured against 150 ms and 20,000: 3–7 % more approvals/s on the
   * 전문 line at concurrency 32); what PostgreSQL shows is that much behind the answers.
   */
  projectEveryMs?: number;
  /** Most records one transaction applies, and so the most the projection holds in memory; default 50,000. */
  projectBatchRecords?: number;
  /**
   * Payments by COPY into a temporary table and one upsert from it (`PROJECT_STAGED_PAYMENTS`), as
   * the service does; false: within `LEDGER_FLUSH` (a stand-in database that speaks no COPY). Default true.
   */
  copyPayments?: boolean;
  /** First retry delay after a failed projection; doubles up to `retryMaxDelayMs` (default 100 ms, 5 s). */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
}

/** What the journal needs of a projection, wherever it runs. */
export interface Projection {
  /** `count` more records are durable in the journal's segments, after those added before. */
  add(count: number): void;
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
  onProjected: (checkpoint: number) => void = () => undefined;
  private readonly tail: SegmentTail;
  /** Number of the last durable record, when this projection counts them itself (in-process). */
  private durable: number;
  private projectedThrough: number;
  private projecting: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private retryDelayMs: number;
  private readonly projectEveryMs: number;
  private readonly projectBatchRecords: number;
  private readonly copyPayments: boolean;
  private readonly retryInitialDelayMs: number;
  private readonly retryMaxDelayMs: number;
  /** Projection transactions, the records they applied, and failed attempts. */
  readonly stats = { projections: 0, projected: 0, failures: 0 };

  /**
   * `dir`: the journal's directory, where the records are read back. `durableThrough`: the number
   * of the last durable record, when another thread counts them (the worker); else `add` counts.
   */
  constructor(
    private readonly db: pg.Pool,
    dir: string,
    checkpoint: number,
    options: ProjectionOptions = {},
    durableThrough?: () => number,
  ) {
    this.projectedThrough = checkpoint;
    this.durable = checkpoint;
    this.tail = new SegmentTail(dir, checkpoint, durableThrough ?? (() => this.durable));
    this.projectEveryMs = options.projectEveryMs ?? 1_000;
    this.projectBatchRecords = options.projectBatchRecords ?? 50_000;
    this.copyPayments = options.copyPayments ?? true;
    this.retryInitialDelayMs = options.retryInitialDelayMs ?? 100;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 5_000;
    this.retryDelayMs = this.retryInitialDelayMs;
  }

  get checkpoint(): number {
    return this.projectedThrough;
  }

  get lag(): number {
    return this.tail.pending;
  }

  add(count: number): void {
    this.durable += count;
  }

  start(): void {
    this.schedule(0);
  }

  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    clearTimeout(this.timer);
    this.stopped = true;
    while (this.tail.pending > 0 && performance.now() < deadline) {
      const ok = await withDeadline(this.projectOnce(), deadline - performance.now());
      if (!ok && performance.now() < deadline) await sleep(Math.min(this.retryDelayMs, deadline - performance.now()));
    }
    await this.projecting;
    if (this.tail.pending > 0)
      log.warn({ lag: this.tail.pending }, 'ledger records not yet projected at shutdown stay in the journal for the next start');
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
        if (ok) this.schedule(this.tail.pending >= this.projectBatchRecords ? 0 : this.projectEveryMs);
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
    let client: pg.PoolClient | undefined;
    let batch: readonly JournalRecord[] = [];
    try {
      batch = await this.tail.peek(this.projectBatchRecords);
      if (batch.length === 0) return true;
      const through = this.projectedThrough + batch.length;
      const changes = changesOf(batch);
      client = await this.db.connect();
      await client.query('BEGIN');
      if (changes.payments.size > 0 && this.copyPayments) {
        await copyPayments(client, changes.payments);
        changes.payments.clear();
      }
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
        { err: error, lag: this.tail.pending, retryInMs: this.retryDelayMs },
        'ledger projection into PostgreSQL failed; answers go on from the journal, the projection retries',
      );
      return false;
    }
    if (this.failing) log.info({ lag: this.tail.pending - batch.length }, 'ledger projection into PostgreSQL resumed');
    this.failing = false;
    this.retryDelayMs = this.retryInitialDelayMs;
    this.tail.advance();
    this.projectedThrough += batch.length;
    this.stats.projections += 1;
    this.stats.projected += batch.length;
    this.onProjected(this.projectedThrough);
    return true;
  }
}

/** Bytes read from a segment at a time while looking for a batch's records. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The journal's durable records past the checkpoint, read back from its segment files in order.
 * `peek` reads the next batch (never past the last durable record, so never a record whose write
 * is still on its way) and holds it until `advance`: a batch PostgreSQL refused is applied again
 * as it was. A segment is read to its end before the next one, named by its first record's number.
 */
export class SegmentTail {
  /** The segment holding record `next`, and the byte where that record starts; unknown until first needed. */
  private segment: string | undefined;
  private position = 0;
  /** Number of the first record not yet applied. */
  private next: number;
  private peeked: { records: JournalRecord[]; end: number; segment: string } | undefined;

  constructor(
    private readonly dir: string,
    checkpoint: number,
    private readonly durableThrough: () => number,
  ) {
    this.next = checkpoint + 1;
  }

  /** Records durable and not yet applied. */
  get pending(): number {
    return Math.max(0, this.durableThrough() - (this.next - 1));
  }

  /** Up to `limit` records from the first one not yet applied; the same ones again until `advance`. */
  async peek(limit: number): Promise<readonly JournalRecord[]> {
    if (this.peeked) return this.peeked.records;
    const wanted = Math.min(limit, this.pending);
    if (wanted === 0) return [];
    if (this.segment === undefined) await this.findSegment();
    let read = await readSegment(path.join(this.dir, this.segment!), this.position, wanted, true);
    if (read.records.length === 0) {
      // This segment holds nothing past `next`: the journal went on in the segment that starts with it.
      const following = segmentName(this.next);
      if (following === this.segment || !fs.existsSync(path.join(this.dir, following))) {
        throw new Error(
          `ledger journal record ${this.next} is durable but segment ${this.segment} has no readable record at byte ${this.position}`,
        );
      }
      this.segment = following;
      this.position = 0;
      read = await readSegment(path.join(this.dir, following), 0, wanted, true);
      if (read.records.length === 0) throw new Error(`ledger journal segment ${following} does not start with record ${this.next}`);
    }
    this.peeked = { records: read.records, end: this.position + read.bytes, segment: this.segment! };
    return read.records;
  }

  /** The records `peek` answered are in PostgreSQL. */
  advance(): void {
    if (!this.peeked) return;
    this.next += this.peeked.records.length;
    this.position = this.peeked.end;
    this.segment = this.peeked.segment;
    this.peeked = undefined;
  }

  /** The segment holding record `next`, and where in it that record starts. */
  private async findSegment(): Promise<void> {
    const holding = (await segmentsIn(this.dir)).filter((segment) => segment.first <= this.next).at(-1);
    if (!holding) throw new Error(`no ledger journal segment in ${this.dir} holds record ${this.next}`);
    this.segment = holding.file;
    const skip = this.next - holding.first;
    const skipped = skip === 0 ? { records: [], bytes: 0, count: 0 } : await readSegment(path.join(this.dir, holding.file), 0, skip, false);
    if (skipped.count < skip) throw new Error(`ledger journal segment ${holding.file} ends before record ${this.next}`);
    this.position = skipped.bytes;
  }
}

/**
 * Up to `wanted` whole records of a segment from byte `position`, decoded when `parse` (else only
 * counted), and the bytes they span. Stops early at the end of the file or at a record that is
 * torn or damaged.
 */
async function readSegment(
  file: string,
  position: number,
  wanted: number,
  parse: boolean,
): Promise<{ records: JournalRecord[]; count: number; bytes: number }> {
  const handle = await fs.promises.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    // Deleted once all its records were projected: nothing past them is in it.
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return { records: [], count: 0, bytes: 0 };
  try {
    const records: JournalRecord[] = [];
    let count = 0;
    let bytes = 0;
    let offset = position;
    /** Bytes read past the last whole record: the start of one the next chunk completes. */
    let carry: Buffer = Buffer.alloc(0);
    while (count < wanted) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      const data = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const decoded = decodeRecords(data, wanted - count, parse);
      for (const record of decoded.records) records.push(record);
      count += decoded.count;
      bytes += decoded.validBytes;
      carry = data.subarray(decoded.validBytes);
      if (count < wanted && isWholeRecord(carry)) break; // whole, yet it did not decode: damaged
    }
    return { records, count, bytes };
  } finally {
    await handle.close();
  }
}

const PAYMENT_COLUMNS =
  'payment_id, ledger_seq, order_id, attempt_key, status, approval_code, approved_at, amount_minor, currency, card_last4, installment_months, channel, voided_at, refunded_at, reversed_at, cancel_reason';

/**
 * Payments go into PostgreSQL by COPY into a temporary table, then one upsert from it: no array
 * literal escaped per value (pg's escaping was about 20 % of the worker) nor parsed by the server.
 * The temporary table lives as long as the connection, emptied at each commit; an upsert of whole
 * states, as `LEDGER_FLUSH`, so projecting a record twice changes nothing.
 */
export const PROJECTION_STAGING = `CREATE TEMPORARY TABLE IF NOT EXISTS projected_payments (LIKE payments) ON COMMIT DELETE ROWS`;
export const PROJECT_STAGED_PAYMENTS = `
INSERT INTO payments (${PAYMENT_COLUMNS})
SELECT ${PAYMENT_COLUMNS} FROM projected_payments
ON CONFLICT (payment_id) DO UPDATE SET
  status = EXCLUDED.status, voided_at = EXCLUDED.voided_at, refunded_at = EXCLUDED.refunded_at,
  reversed_at = EXCLUDED.reversed_at, cancel_reason = EXCLUDED.cancel_reason`;

async function copyPayments(client: pg.PoolClient, payments: LedgerChanges['payments']): Promise<void> {
  await client.query(PROJECTION_STAGING);
  const rows: string[] = [];
  for (const { payment, seq } of payments.values()) rows.push(copyRowOf(payment, seq));
  const copy = client.query(copyFrom(`COPY projected_payments (${PAYMENT_COLUMNS}) FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    copy.on('error', reject);
    copy.on('finish', resolve);
    copy.end(rows.join(''));
  });
  await client.query(PROJECT_STAGED_PAYMENTS);
}

/** One line of COPY's text format: tab-separated, `\N` for null, backslash, tab and line breaks escaped. */
export function copyRowOf(payment: Payment, seq: number): string {
  return `${copyText(payment.paymentId)}\t${seq}\t${copyText(payment.orderId)}\t${copyText(payment.attemptKey)}\t${payment.status}\t${copyText(payment.approvalCode)}\t${payment.approvedAt}\t${payment.amountMinor}\t${copyText(payment.currency)}\t${copyText(payment.cardLast4)}\t${payment.installmentMonths}\t${payment.channel}\t${payment.voidedAt ?? '\\N'}\t${payment.refundedAt ?? '\\N'}\t${payment.reversedAt ?? '\\N'}\t${copyText(payment.cancelReason)}\n`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;

function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (char) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[char]!);
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
  /** The journal's directory: the worker reads the records from its segments. */
  dir: string;
  checkpoint: number;
  /** One BigInt64: the number of the last durable record, stored by the simulator's thread after each durable write. */
  durable: SharedArrayBuffer;
  options: ProjectionOptions;
}

/** Messages between the simulator's thread and the projection's worker. */
export type ToProjectionWorker = { kind: 'drain'; timeoutMs: number };
export type FromProjectionWorker = { kind: 'projected'; checkpoint: number } | { kind: 'drained' };

/** `LedgerProjection` in a worker thread with its own connection pool: the simulator's thread only stores a count. */
export class WorkerLedgerProjection implements Projection {
  onProjected: (checkpoint: number) => void = () => undefined;
  private projectedThrough: number;
  /** Number of the last record handed to the worker. */
  private addedThrough: number;
  private readonly worker: Worker;
  /** Shared with the worker: the number of the last durable record. */
  private readonly durable = new BigInt64Array(new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT));
  private drained: (() => void) | undefined;
  private closing = false;

  constructor(databaseUrl: string, dir: string, checkpoint: number, options: ProjectionOptions, onCrash: (error: unknown) => void) {
    this.projectedThrough = checkpoint;
    this.addedThrough = checkpoint;
    Atomics.store(this.durable, 0, BigInt(checkpoint));
    // Only the settings: the caller's options may hold what cannot cross threads (a pool, callbacks).
    const { projectEveryMs, projectBatchRecords, copyPayments, retryInitialDelayMs, retryMaxDelayMs } = options;
    const workerData: ProjectionWorkerData = {
      databaseUrl,
      dir,
      checkpoint,
      durable: this.durable.buffer,
      options: { projectEveryMs, projectBatchRecords, copyPayments, retryInitialDelayMs, retryMaxDelayMs },
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

  add(count: number): void {
    this.addedThrough += count;
    // No message: the worker reads the count when it next projects, so a durable write wakes nobody.
    Atomics.store(this.durable, 0, BigInt(this.addedThrough));
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
