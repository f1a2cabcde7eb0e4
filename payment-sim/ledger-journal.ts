/**
 * The ledger's journal on local disk, with PostgreSQL as a projection behind it
 * (PAYMENT_LEDGER_JOURNAL_DIR; docs/payment-telegram.md#the-ledger, docs/decisions.md).
 *
 * Why: the TCP 전문 line must answer ≥ 25,000 approvals/s with p99 ≤ 2 ms on two cores, and a line
 * answers only once its change is durable. A PostgreSQL group commit costs a round trip and the
 * server's CPU per flush (8,303/s p99 3.7 ms at concurrency 8); an fdatasync of a local file costs
 * about 0.12 ms on the same disk. So the answer waits for the disk, and PostgreSQL — still the
 * queryable ledger operators, `make check` and the auditor's database tools read — is written
 * behind, in big batches.
 *
 * The journal: segment files `<number of the first record>.journal` in one directory, each
 * zero-filled to `segmentBytes` and synced before its first record (the next one is prepared in the
 * background while the current one fills), and written in place from its start. A record is
 * `length (u32 LE) | CRC-32 of the payload (u32 LE) | payload (JSON)`, holding one change: a
 * payment's whole state with its booking sequence number, a tombstone, or a stored (or forgotten)
 * answer; a zero length is the end of the records. Group commit: everything recorded in one turn of
 * the event loop, or while the previous write is on its way to the disk, goes in ONE write to the
 * segment, opened with O_DSYNC (so the write returns once the bytes are on the disk; no separate
 * fdatasync, and no metadata to commit, as the blocks exist: `JournalFileOps` says why);
 * `durable()` resolves after the write covering everything recorded so far. A crash mid-write
 * leaves a torn tail of records no client was answered on; opening the journal reads up to the
 * first record whose length or CRC does not hold, zeroes what follows, and writes on from there.
 *
 * The projection (ledger-projection.ts, in a worker thread in the service): records that are
 * durable are read back from the segments and applied to PostgreSQL every `projectEveryMs` in batches of up to
 * `projectBatchRecords` (payments by COPY, the rest with the PostgreSQL journal's own statement,
 * `LEDGER_FLUSH`), and the number of the last record applied is written to
 * `ledger_journal_checkpoint` in the same transaction. Applying a record twice changes nothing
 * (upserts of whole states, tombstones inserted once), so a crash between a commit and forgetting
 * the batch is harmless. PostgreSQL down: the projection retries with capped backoff and the
 * answers keep flowing; the lag is the metric `payment.ledger.projection.lag`. A segment is deleted
 * once every record in it is projected and the journal has moved on to the next (a new segment
 * starts past `segmentBytes`), so the disk holds roughly what PostgreSQL has not yet seen.
 *
 * Start (`DiskLedgerJournal.open`): PostgreSQL's snapshot and checkpoint are read in one
 * transaction, the journal's records past the checkpoint are laid over the snapshot (the index the
 * ledger is rebuilt from) and queued to be projected again.
 *
 * A failed write stops the process (by default): after a failed synchronous write the kernel
 * may have dropped the dirty pages, so trying again could report success for data that is gone.
 * The requests waiting on it were never answered; restarting replays what the disk holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { context, metrics, ROOT_CONTEXT, type ObservableResult } from '@opentelemetry/api';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { metricNames } from '../platform/telemetry/metrics.js';
import type { LedgerJournal, LedgerSnapshot, Payment, StoredAnswer, Tombstone } from './ledger.js';
import { LedgerProjection, WorkerLedgerProjection, type Projection, type ProjectionOptions } from './ledger-projection.js';
import { deferred, loadLedgerSnapshot, tombstoneKeyOf, withDeadline, type Deferred } from './ledger-store.js';

/** One change, as the journal holds it. */
export type JournalRecord =
  | { kind: 'payment'; payment: Payment; seq: number }
  | { kind: 'tombstone'; tombstone: Tombstone }
  | { kind: 'answer'; key: string; answer: StoredAnswer | null };

/**
 * The file operations the journal's writes use: the seam a test counts durable writes on, or holds one.
 *
 * Segments are opened with O_DSYNC, so a write returns only once its bytes are on the disk: one
 * system call per group instead of a write and then an fdatasync (measured on this disk: an
 * O_DSYNC write 0.19–0.21 ms, write + fdatasync 0.26–0.33 ms). The node implementation writes
 * from the calling (event-loop) thread, which blocks for the disk's time: through libuv's thread
 * pool a write needs two threads woken, and with both cores busy those wake-ups were the tail
 * (a 3 KiB O_DSYNC write as JavaScript saw it: p99 0.35 ms on an idle host, 4.1 ms with both
 * cores busy). The lines lose nothing meanwhile: every request waiting is in the group being
 * written, and what arrives is read once it returns (measured at concurrency 8: 9.0–11.3k →
 * 12.9–13.3k approvals/s, p99 4.0–5.1 → 3.1–3.2 ms; at 32 level). And a segment is zero-filled and
 * synced before its first record (PostgreSQL's WAL does the same): a record then lands in blocks the
 * file already has, so its O_DSYNC write is a sync of those data blocks only. An appending write
 * also commits the file's new size and extents through the filesystem's journal (ext4 here); a
 * file laid out by fallocate alone has "unwritten" extents whose first write is again metadata.
 * `bench/journal-write.ts` measured a 3 KiB group: appending p50 0.26 ms, pre-zeroed 0.12 ms.
 */
export interface JournalFileOps {
  /** Opens an existing segment for writing in place; every write to it is durable when it returns (O_DSYNC). */
  openForWriting: (file: string) => Promise<number>;
  /** Writes every byte of `data` at `position`; resolves once they are durable (the node implementation: durable when it returns). */
  writeDurably: (fd: number, data: Buffer, position: number) => Promise<void>;
  /** Creates `file` with `bytes` zero bytes, on the disk (data and size) when it resolves. */
  createZeroed: (file: string, bytes: number) => Promise<void>;
  rename: (from: string, to: string) => Promise<void>;
  close: (fd: number) => Promise<void>;
  /** fsync of the directory, so a new segment's name survives a crash too. */
  syncDirectory: (dir: string) => Promise<void>;
}

const openFile = promisify(fs.open);
const writeFile = promisify(fs.write);
const fsync = promisify(fs.fsync);
const fdatasync = promisify(fs.fdatasync);
const closeFile = promisify(fs.close);
const { O_CREAT, O_EXCL, O_WRONLY, O_DSYNC } = fs.constants;
/** Zeros are written this much at a time when a segment is prepared. */
const ZERO_CHUNK = Buffer.alloc(1024 * 1024);

async function writeAll(fd: number, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) written += (await writeFile(fd, data, written, data.length - written, position + written)).bytesWritten;
}

export const nodeJournalFiles: JournalFileOps = {
  openForWriting: (file) => openFile(file, O_WRONLY | O_DSYNC),
  writeDurably(fd, data, position) {
    let written = 0;
    while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written, position + written);
    return Promise.resolve();
  },
  async createZeroed(file, bytes) {
    const fd = await openFile(file, O_CREAT | O_EXCL | O_WRONLY, 0o644);
    try {
      for (let position = 0; position < bytes; position += ZERO_CHUNK.length) {
        await writeAll(fd, ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, bytes - position)), position);
      }
      await fdatasync(fd);
    } finally {
      await closeFile(fd);
    }
  },
  rename: (from, to) => fs.promises.rename(from, to),
  close: (fd) => closeFile(fd),
  async syncDirectory(dir) {
    const fd = await openFile(dir, 'r');
    try {
      await fsync(fd);
    } finally {
      await closeFile(fd);
    }
  },
};

export interface DiskLedgerJournalOptions extends ProjectionOptions {
  /** The journal's directory (created if missing); it belongs to one simulator. */
  dir: string;
  /** The ledger's database: the snapshot at start, and where an in-process projection writes. */
  db: pg.Pool;
  /**
   * The same database's URL: the projection then runs in a worker thread with a pool of its own
   * (ledger-projection.ts says why). Absent: in-process, through `db` (tests with a stand-in).
   */
  databaseUrl?: string;
  /** A new segment starts once the current one is this large; default 64 MiB. */
  segmentBytes?: number;
  /** false: nothing is projected (tests: a crash before the projector ran). Default true. */
  project?: boolean;
  files?: JournalFileOps;
  /** A durable write failed; default: log and exit, so a restart replays what the disk holds. */
  onFailure?: (error: unknown) => void;
}

export interface Segment {
  /** Number of its first record. */
  first: number;
  file: string;
}

const SEGMENT_SUFFIX = '.journal';
/** Names the ledger database (`database/schema`) the directory's journal belongs to. */
const OWNER_FILE = 'OWNER';
const HEADER_BYTES = 8;
/** The next segment while it is zero-filled; renamed to its number when the journal moves to it. */
const PREPARED_FILE = 'next-segment.zeroed';
/** No record comes near this; a length past it is a torn or foreign header. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const log = logger('payment-ledger-journal');

export class DiskLedgerJournal implements LedgerJournal {
  /** Recorded, not yet written: their JSON, and the promise their durable write keeps. */
  private pendingJson: string[] = [];
  private pendingDone = deferred();
  /** The batch on its way to the disk, if any. */
  private inFlight: Deferred | undefined;
  private scheduled = false;
  private failed = false;
  private closed = false;
  private fd: number | undefined;
  /** Where the next group goes in the current segment, and the bytes the segment was prepared with. */
  private position = 0;
  private capacity = 0;
  /** The next segment, being zero-filled in the background (`PREPARED_FILE`); resolves false if that failed. */
  private prepared: Promise<boolean> | undefined;
  /** Number the next record recorded gets. */
  private nextRecord: number;
  private readonly files: JournalFileOps;
  private readonly segmentBytes: number;
  private readonly onFailure: (error: unknown) => void;
  private readonly lagGauge = metrics.getMeter('ordersaga').createObservableGauge(metricNames.ledgerProjectionLag, {
    description: 'Ledger changes durable in the disk journal and not yet in PostgreSQL',
    unit: '{record}',
  });
  private readonly observeLag = (result: ObservableResult) => result.observe(this.projectionLag);
  /** Durable writes (one per group), and the records they made durable. */
  readonly stats = { flushes: 0, records: 0 };

  private constructor(
    private readonly options: DiskLedgerJournalOptions,
    private readonly segments: Segment[],
    /** Where durable records go to reach PostgreSQL. */
    readonly projection: Projection,
    lastRecord: number,
  ) {
    this.files = options.files ?? nodeJournalFiles;
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.onFailure = options.onFailure ?? exitOnFailure;
    this.nextRecord = lastRecord + 1;
    projection.onProjected = () => void this.deleteProjectedSegments();
  }

  /**
   * Reads PostgreSQL's snapshot and checkpoint, and the journal (cutting a torn tail away); answers
   * the snapshot with the journal's unprojected records laid over it, and the journal, which
   * projects those records again before any new one.
   */
  static async open(options: DiskLedgerJournalOptions): Promise<{ journal: DiskLedgerJournal; snapshot: LedgerSnapshot }> {
    await fs.promises.mkdir(options.dir, { recursive: true });
    const { snapshot, checkpoint, owner } = await loadWithCheckpoint(options.db);
    await claimDirectory(options.dir, owner, options.files ?? nodeJournalFiles);
    const { segments, records, lastRecord, lastSegmentEnd } = await readJournal(options.dir, options.files ?? nodeJournalFiles);
    // A segment being prepared when the process stopped may be short of zeros: it is made again.
    await fs.promises.rm(path.join(options.dir, PREPARED_FILE), { force: true });
    let unprojected: JournalRecord[] = [];
    let kept = segments;
    if (lastRecord > checkpoint) {
      const first = segments[0]!.first;
      if (first > checkpoint + 1) {
        throw new Error(
          `ledger journal ${options.dir} starts at record ${first} but PostgreSQL holds only up to ${checkpoint}: records ${checkpoint + 1}–${first - 1} are missing`,
        );
      }
      unprojected = records.slice(checkpoint + 1 - first);
    } else {
      // Everything in it is in PostgreSQL already (or it is empty, or a fresh directory for a database that has moved on).
      for (const segment of segments) await fs.promises.unlink(path.join(options.dir, segment.file));
      kept = [];
    }
    const projection =
      options.databaseUrl && options.project !== false
        ? new WorkerLedgerProjection(options.databaseUrl, options.dir, checkpoint, options, (error) =>
            (options.onFailure ?? exitOnFailure)(error),
          )
        : new LedgerProjection(options.db, options.dir, checkpoint, options);
    const journal = new DiskLedgerJournal(options, kept, projection, checkpoint + unprojected.length);
    await journal.startSegment(kept.length > 0 ? lastSegmentEnd : undefined);
    // They are in the segments already: the projection reads them back from there.
    projection.add(unprojected.length);
    log.info(
      { dir: options.dir, checkpoint, replayed: unprojected.length, segments: kept.length || 1 },
      'ledger journal opened; records past the checkpoint are laid over the database snapshot and projected again',
    );
    journal.lagGauge.addCallback(journal.observeLag);
    if (options.project !== false) projection.start();
    return { journal, snapshot: replayOnto(snapshot, unprojected) };
  }

  payment(payment: Payment, seq: number): void {
    // Serialised now: the payment object changes with its later states.
    this.record({ kind: 'payment', payment, seq });
  }

  tombstone(tombstone: Tombstone): void {
    this.record({ kind: 'tombstone', tombstone });
  }

  answer(key: string, answer: StoredAnswer | null): void {
    this.record({ kind: 'answer', key, answer });
  }

  durable(): Promise<void> {
    if (this.pendingJson.length > 0) return this.pendingDone.promise;
    // Batches are written one after another: the one in flight covers everything recorded before it.
    return this.inFlight ? this.inFlight.promise : Promise.resolve();
  }

  /** Records durable and not yet in PostgreSQL. */
  get projectionLag(): number {
    return this.projection.lag;
  }

  /** Number of the last record PostgreSQL holds. */
  get checkpoint(): number {
    return this.projection.checkpoint;
  }

  /** Segment files on disk now, oldest first. */
  get segmentFiles(): string[] {
    return this.segments.map((segment) => segment.file);
  }

  /**
   * Writes what is pending, then projects until PostgreSQL has everything (waiting at most
   * `timeoutMs`), and stops. What is not projected by then stays in the journal for the next start.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    await withDeadline(this.durable(), timeoutMs);
    if (this.options.project === false) this.projection.abandon();
    else await this.projection.drain(Math.max(0, deadline - performance.now()));
    this.stop();
  }

  /** Stops without writing or projecting anything more: what a crash leaves (tests). */
  abandon(): void {
    this.projection.abandon();
    this.stop();
  }

  private stop(): void {
    this.closed = true;
    this.lagGauge.removeCallback(this.observeLag);
    // A write on its way closes the file when it is done.
    if (!this.inFlight) this.closeFile();
  }

  private closeFile(): void {
    if (this.fd !== undefined) void this.files.close(this.fd).catch(() => undefined);
    this.fd = undefined;
  }

  private record(record: JournalRecord): void {
    if (this.closed) return;
    this.pendingJson.push(JSON.stringify(record));
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // Outside the trace of whichever request came first: one write serves many.
    context.with(ROOT_CONTEXT, () => setImmediate(() => void this.write()));
  }

  /** One durable (O_DSYNC) write for everything pending; then again if more came meanwhile (`JournalFileOps` says why it blocks). */
  private async write(): Promise<void> {
    this.scheduled = false;
    if (this.inFlight || this.failed || this.closed || this.pendingJson.length === 0) return;
    const count = this.pendingJson.length;
    const data = encodeRecords(this.pendingJson);
    const done = this.pendingDone;
    this.pendingJson = [];
    this.pendingDone = deferred();
    this.inFlight = done;
    try {
      // A group that does not fit starts the next segment (one larger than a segment grows its own).
      if (this.position > 0 && this.position + data.length > this.capacity) await this.startSegment(undefined);
      await this.files.writeDurably(this.fd!, data, this.position);
    } catch (error) {
      this.failed = true;
      log.error({ err: error, unanswered: count }, 'ledger journal write failed; its requests stay unanswered');
      this.onFailure(error);
      return;
    }
    this.position += data.length;
    this.nextRecord += count;
    this.stats.flushes += 1;
    this.stats.records += count;
    this.projection.add(count);
    this.inFlight = undefined;
    done.resolve();
    if (this.closed) this.closeFile();
    else if (this.pendingJson.length > 0) void this.write();
  }

  /**
   * Writes on in the last segment from byte `reuseFrom`, or starts a new one named by the next
   * record's number: the segment prepared in the background (made now if it is not there), renamed
   * and its name synced. Then the one after it is prepared, off the path of the answers.
   */
  private async startSegment(reuseFrom: number | undefined): Promise<void> {
    const last = this.segments.at(-1);
    if (reuseFrom !== undefined && last) {
      const file = path.join(this.options.dir, last.file);
      this.capacity = (await fs.promises.stat(file)).size;
      this.position = reuseFrom;
      this.fd = await this.files.openForWriting(file);
      this.prepareNext();
      return;
    }
    const dir = this.options.dir;
    if (!(await this.prepared)) await this.files.createZeroed(path.join(dir, PREPARED_FILE), this.segmentBytes);
    this.prepared = undefined;
    const segment = { first: this.nextRecord, file: segmentName(this.nextRecord) };
    await this.files.rename(path.join(dir, PREPARED_FILE), path.join(dir, segment.file));
    await this.files.syncDirectory(dir);
    const fd = await this.files.openForWriting(path.join(dir, segment.file));
    if (this.fd !== undefined) await this.files.close(this.fd);
    this.fd = fd;
    this.position = 0;
    this.capacity = this.segmentBytes;
    this.segments.push(segment);
    this.prepareNext();
  }

  private prepareNext(): void {
    if (this.prepared || this.closed) return;
    const file = path.join(this.options.dir, PREPARED_FILE);
    this.prepared = context.with(ROOT_CONTEXT, () =>
      this.files.createZeroed(file, this.segmentBytes).then(
        () => true,
        async (error: unknown) => {
          log.warn({ err: error }, 'the next ledger journal segment could not be prepared; it is made when needed');
          await fs.promises.rm(file, { force: true }).catch(() => undefined);
          return false;
        },
      ),
    );
  }

  /** Every segment but the current one whose records are all in PostgreSQL. */
  private async deleteProjectedSegments(): Promise<void> {
    while (this.segments.length > 1 && this.segments[1]!.first - 1 <= this.projection.checkpoint) {
      const segment = this.segments.shift()!;
      await fs.promises.unlink(path.join(this.options.dir, segment.file)).catch((error: unknown) => {
        log.warn({ err: error, file: segment.file }, 'a projected ledger journal segment could not be deleted');
      });
    }
  }
}

/** The snapshot with `records` applied in order: what the ledger held when the journal last wrote. */
export function replayOnto(snapshot: LedgerSnapshot, records: readonly JournalRecord[]): LedgerSnapshot {
  if (records.length === 0) return snapshot;
  const payments = new Map(snapshot.payments.map((entry) => [entry.payment.paymentId, entry]));
  const tombstones = new Map(snapshot.tombstones.map((tombstone) => [tombstoneKeyOf(tombstone), tombstone]));
  const answers = new Map(snapshot.answers.map(({ key, answer }) => [key, answer]));
  for (const record of records) {
    if (record.kind === 'payment') payments.set(record.payment.paymentId, { payment: record.payment, seq: record.seq });
    else if (record.kind === 'tombstone') {
      const key = tombstoneKeyOf(record.tombstone);
      if (!tombstones.has(key)) tombstones.set(key, record.tombstone);
    } else if (record.answer === null) answers.delete(record.key);
    else answers.set(record.key, record.answer);
  }
  return {
    payments: [...payments.values()].sort((a, b) => a.seq - b.seq),
    tombstones: [...tombstones.values()],
    answers: [...answers].map(([key, answer]) => ({ key, answer })),
  };
}

/** Frames each JSON payload as `length | CRC-32 | payload`, all in one buffer for one write. */
export function encodeRecords(payloads: readonly string[]): Buffer {
  let total = 0;
  for (const payload of payloads) total += HEADER_BYTES + Buffer.byteLength(payload);
  const data = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const payload of payloads) {
    const length = data.write(payload, offset + HEADER_BYTES);
    data.writeUInt32LE(length, offset);
    data.writeUInt32LE(crc32(data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length)), offset + 4);
    offset += HEADER_BYTES + length;
  }
  return data;
}

/**
 * The records of a segment up to the first one that is torn or damaged (or the first `maxRecords`),
 * how many, and the bytes they span. `parse` false only counts them (their CRC still checked).
 */
export function decodeRecords(
  data: Buffer,
  maxRecords = Infinity,
  parse = true,
): { records: JournalRecord[]; count: number; validBytes: number } {
  const records: JournalRecord[] = [];
  let count = 0;
  let offset = 0;
  while (count < maxRecords && offset + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(offset);
    const end = offset + HEADER_BYTES + length;
    if (length === 0 || length > MAX_RECORD_BYTES || end > data.length) break;
    const payload = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== data.readUInt32LE(offset + 4)) break;
    if (parse) {
      let record: JournalRecord;
      try {
        record = JSON.parse(payload.toString('utf8')) as JournalRecord;
      } catch {
        break;
      }
      records.push(record);
    }
    count += 1;
    offset = end;
  }
  return { records, count, validBytes: offset };
}

/** `data` starts with a record's whole bytes, or with a header no record has: nothing more read could complete it. */
export function isWholeRecord(data: Buffer): boolean {
  if (data.length < HEADER_BYTES) return false;
  const length = data.readUInt32LE(0);
  return length === 0 || length > MAX_RECORD_BYTES || HEADER_BYTES + length <= data.length;
}

/**
 * Every segment in `dir`, oldest first, their records, and where the last one's records end. A
 * segment's records end at a zero length (the zero-filled rest of the segment) or at the end of
 * the file (segments written before they were prepared). A torn tail of the last segment is zeroed
 * on the disk: every non-zero byte past its last whole record, as an unfinished write's later
 * blocks may have landed when an earlier one did not, and records written over the gap could one
 * day end where such a leftover starts. Anything but zeros past the records of any other segment
 * is refused (a segment is complete before the next starts, so it is not a crash's doing, and
 * records after it may have been answered).
 */
async function readJournal(
  dir: string,
  files: JournalFileOps,
): Promise<{ segments: Segment[]; records: JournalRecord[]; lastRecord: number; lastSegmentEnd: number }> {
  const segments = await segmentsIn(dir);
  const records: JournalRecord[] = [];
  let lastSegmentEnd = 0;
  for (const [index, segment] of segments.entries()) {
    const file = path.join(dir, segment.file);
    const data = await fs.promises.readFile(file);
    const decoded = decodeRecords(data);
    const isLast = index === segments.length - 1;
    if (segment.first !== segments[0]!.first + records.length) {
      throw new Error(
        `ledger journal segment ${segment.file} does not follow the one before it (expected record ${segments[0]!.first + records.length})`,
      );
    }
    const leftoverEnd = endOfNonZero(data, decoded.validBytes);
    if (leftoverEnd > decoded.validBytes) {
      if (!isLast) throw new Error(`ledger journal segment ${segment.file} is damaged at byte ${decoded.validBytes} and is not the last`);
      log.warn(
        { file: segment.file, keptBytes: decoded.validBytes, zeroedBytes: leftoverEnd - decoded.validBytes },
        'torn tail of the ledger journal zeroed: records a crash cut short, which no client was answered on',
      );
      const fd = await files.openForWriting(file);
      try {
        await files.writeDurably(fd, Buffer.alloc(leftoverEnd - decoded.validBytes), decoded.validBytes);
      } finally {
        await files.close(fd);
      }
    }
    for (const record of decoded.records) records.push(record);
    lastSegmentEnd = decoded.validBytes;
  }
  const lastRecord = segments.length === 0 ? 0 : segments[0]!.first + records.length - 1;
  return { segments, records, lastRecord, lastSegmentEnd };
}

/** The offset just past the last non-zero byte of `data` from `from` on; `from` if there is none. */
function endOfNonZero(data: Buffer, from: number): number {
  for (let end = data.length; end > from;) {
    const start = Math.max(from, end - ZERO_CHUNK.length);
    if (!data.subarray(start, end).equals(ZERO_CHUNK.subarray(0, end - start))) {
      for (let offset = end - 1; offset >= start; offset -= 1) if (data[offset] !== 0) return offset + 1;
    }
    end = start;
  }
  return from;
}

/** PostgreSQL's snapshot and the journal position it holds, as of one moment, and which ledger it is (`database/schema`). */
async function loadWithCheckpoint(db: pg.Pool): Promise<{ snapshot: LedgerSnapshot; checkpoint: number; owner: string }> {
  const client = await db.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ position: string; owner: string }>(
      "SELECT position, current_database() || '/' || current_schema() AS owner FROM ledger_journal_checkpoint",
    );
    if (!rows[0]) throw new Error('ledger_journal_checkpoint has no row: run the payment-sim migrations');
    const snapshot = await loadLedgerSnapshot(client);
    await client.query('COMMIT');
    return { snapshot, checkpoint: Number(rows[0].position), owner: rows[0].owner };
  } finally {
    client.release();
  }
}

/**
 * A journal directory belongs to one ledger database: its records projected into another would
 * book payments that ledger never made. The first open writes the owner's name into the directory;
 * an open for another ledger is refused.
 */
async function claimDirectory(dir: string, owner: string, files: JournalFileOps): Promise<void> {
  const file = path.join(dir, OWNER_FILE);
  const claimed = await fs.promises.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (claimed === undefined) {
    await fs.promises.writeFile(file, owner, { flush: true });
    await files.syncDirectory(dir);
  } else if (claimed.trim() !== owner) {
    throw new Error(`ledger journal ${dir} belongs to the ledger ${claimed.trim()}, not to ${owner}`);
  }
}

/** The segment files in `dir`, oldest first. */
export async function segmentsIn(dir: string): Promise<Segment[]> {
  return (await fs.promises.readdir(dir))
    .filter((file) => /^\d{20}\.journal$/.test(file))
    .map((file) => ({ first: Number(file.slice(0, 20)), file }))
    .sort((a, b) => a.first - b.first);
}

export function segmentName(first: number): string {
  return `${String(first).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

function exitOnFailure(): void {
  log.error('stopping: a restart replays the ledger journal from what the disk holds');
  process.exit(70);
}
