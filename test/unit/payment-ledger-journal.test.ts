/**
 * The ledger's disk journal against real files in a temporary directory and a stand-in for
 * PostgreSQL: one durable (O_DSYNC) write per event-loop turn; `durable()` waits for it to return;
 * a torn tail is cut away and appending goes on after it; a restart replays what PostgreSQL has not
 * seen and projects it; PostgreSQL down holds the projection, never the answers; projected segments
 * are deleted; the projection reads its batches back from the segments, never past the last durable
 * record and never more than a batch at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type pg from 'pg';
import { PaymentLedger } from '../../payment-sim/ledger.js';
import {
  decodeRecords,
  DiskLedgerJournal,
  encodeRecords,
  segmentName,
  type JournalRecord,
  nodeJournalFiles,
  type DiskLedgerJournalOptions,
  type JournalFileOps,
} from '../../payment-sim/ledger-journal.js';
import { copyRowOf, SegmentTail, type LedgerProjection } from '../../payment-sim/ledger-projection.js';

/** Answers the journal's queries: an empty ledger at `checkpoint`; records each projection; fails while `down`. */
class FakeLedgerDatabase {
  checkpoint = 0;
  down = false;
  /** Per committed projection: the payment ids it wrote and the checkpoint it moved to. */
  readonly projections: { paymentIds: string[]; statuses: string[]; through: number }[] = [];

  asPool(): pg.Pool {
    return { connect: () => this.connect(), query: (sql: string) => this.answer(sql) } as unknown as pg.Pool;
  }

  private async connect() {
    if (this.down) throw new Error('connect ECONNREFUSED');
    let flushed: unknown[] | undefined;
    let through: number | undefined;
    return {
      query: async (statement: string | { values: unknown[] }, params?: unknown[]) => {
        await Promise.resolve();
        if (this.down) throw new Error('connection terminated');
        if (typeof statement !== 'string') {
          flushed = statement.values;
          return { rows: [] };
        }
        if (statement.startsWith('UPDATE ledger_journal_checkpoint')) through = params![0] as number;
        if (statement === 'COMMIT' && through !== undefined) {
          this.checkpoint = through;
          this.projections.push({
            paymentIds: (flushed?.[0] as string[] | undefined) ?? [],
            statuses: (flushed?.[4] as string[] | undefined) ?? [],
            through,
          });
        }
        return this.answer(statement);
      },
      release: () => undefined,
    };
  }

  private answer(sql: string): { rows: unknown[] } {
    if (sql.includes('FROM ledger_journal_checkpoint')) return { rows: [{ position: String(this.checkpoint), owner: 'payments/public' }] };
    return { rows: [] };
  }
}

/**
 * Real file operations (O_DSYNC segments), counted; a test may hold the next durable write: it is
 * issued, and does not return to the journal until the test lets go.
 */
class CountedFiles implements JournalFileOps {
  /** Durable writes issued, and those that have returned. */
  appends = 0;
  durableAppends = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  /** Segments zero-filled (prepared in the background, or made when one was needed). */
  zeroed = 0;
  openForWriting = nodeJournalFiles.openForWriting;
  rename = nodeJournalFiles.rename;
  close = nodeJournalFiles.close;
  syncDirectory = nodeJournalFiles.syncDirectory;

  writeDurably = async (fd: number, data: Buffer, position: number): Promise<void> => {
    this.appends += 1;
    await this.gate;
    await nodeJournalFiles.writeDurably(fd, data, position);
    this.durableAppends += 1;
  };

  createZeroed = async (file: string, bytes: number): Promise<void> => {
    await nodeJournalFiles.createZeroed(file, bytes);
    this.zeroed += 1;
  };

  hold(): void {
    this.gate = new Promise((open) => {
      this.openGate = open;
    });
  }

  letGo(): void {
    this.gate = undefined;
    this.openGate?.();
  }
}

const approval = (orderId: string, attempt = 1) => ({
  orderId,
  attempt,
  amountMinor: 1_000,
  currency: 'KRW',
  cardLast4: '4242',
  installmentMonths: 0,
  channel: 'tcp' as const,
});

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-journal-'));
}

async function open(database: FakeLedgerDatabase, options: Omit<DiskLedgerJournalOptions, 'db'>) {
  const { journal, snapshot } = await DiskLedgerJournal.open({
    projectEveryMs: 10,
    // Small segments: each is zero-filled on the disk, and these directories are left in the temp dir.
    segmentBytes: 64 * 1024,
    // The stand-in answers statements, not COPY: the payments go in LEDGER_FLUSH (the integration tests project by COPY).
    copyPayments: false,
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 20,
    ...options,
    db: database.asPool(),
  });
  return { journal, ledger: PaymentLedger.restore(snapshot, journal) };
}

async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function segmentsOf(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.journal'))
    .sort();
}

test('changes recorded in one turn of the event loop go to disk in one durable write', async (t) => {
  const files = new CountedFiles();
  const { journal, ledger } = await open(new FakeLedgerDatabase(), { dir: tempDir(), files, project: false });
  for (let index = 0; index < 200; index += 1) ledger.recordApproval(approval(`o-${index}`));
  ledger.reverseAttempt('o-7', 1, 'timed out');
  await ledger.durable();
  t.is(files.appends, 1);
  t.is(files.durableAppends, 1);
  t.is(journal.stats.records, 202, '200 approvals, a tombstone and o-7 reversed');
  journal.abandon();
});

test('segments are opened with O_DSYNC, so a write that returned is on the disk', async (t) => {
  if (process.platform !== 'linux') return t.pass('the open flags are read from /proc (Linux)');
  const opened: number[] = [];
  const files = new CountedFiles();
  files.openForWriting = async (file) => {
    const fd = await nodeJournalFiles.openForWriting(file);
    opened.push(fd);
    return fd;
  };
  const { journal, ledger } = await open(new FakeLedgerDatabase(), { dir: tempDir(), files, project: false });
  ledger.recordApproval(approval('o-1'));
  await ledger.durable();
  t.is(opened.length, 1);
  // /proc/self/fdinfo/<fd> gives the open flags in octal; O_DSYNC is 010000 on Linux.
  const flags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${opened[0]}`, 'utf8'))![1]!, 8);
  t.truthy(flags & fs.constants.O_DSYNC, `flags ${flags.toString(8)} carry O_DSYNC`);
  journal.abandon();
});

test('the durable write is done when the call returns, before any other callback runs: no thread-pool hop to wait on', (t) => {
  const file = path.join(tempDir(), 'segment');
  fs.writeFileSync(file, Buffer.alloc(64));
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_DSYNC);
  void nodeJournalFiles.writeDurably(fd, Buffer.from('record'), 8);
  t.is(fs.readFileSync(file).subarray(8, 14).toString(), 'record');
  fs.closeSync(fd);
});

test('durable() resolves only after the durable write returns; what is recorded meanwhile shares the next one', async (t) => {
  const files = new CountedFiles();
  const { journal, ledger } = await open(new FakeLedgerDatabase(), { dir: tempDir(), files, project: false });
  files.hold();
  ledger.recordApproval(approval('first'));
  let firstDurable = false;
  void ledger.durable().then(() => {
    firstDurable = true;
  });
  await until('the first write', () => files.appends === 1);
  await turns(5);
  t.false(firstDurable, 'not durable while its write is held');
  for (let index = 0; index < 50; index += 1) ledger.recordApproval(approval(`later-${index}`));
  let laterDurable = false;
  void ledger.durable().then(() => {
    laterDurable = true;
  });
  await turns(5);
  t.is(files.appends, 1, 'nothing more is written while the write is on its way');
  files.letGo();
  await until('everything durable', () => laterDurable);
  t.true(firstDurable);
  t.is(files.appends, 2);
  t.is(files.durableAppends, 2, 'the 50 later approvals shared one durable write');
  journal.abandon();
});

test('a torn tail is zeroed on open, leftovers of the unfinished write too, and records written after it are read back', async (t) => {
  const dir = tempDir();
  const database = new FakeLedgerDatabase();
  const first = await open(database, { dir, project: false });
  const kept = [first.ledger.recordApproval(approval('kept-1')), first.ledger.recordApproval(approval('kept-2'))];
  await first.ledger.durable();
  const torn = first.ledger.recordApproval(approval('torn'));
  await first.ledger.durable();
  first.journal.abandon();
  // A crash in the middle of the last write: the second half of its record never reached the disk,
  // and a later block of the same write (here: a copy of a whole record, further on) did.
  const file = path.join(dir, segmentsOf(dir)[0]!);
  const data = fs.readFileSync(file);
  const end = decodeRecords(data).validBytes;
  const lastStart = decodeRecords(data, 2).validBytes;
  const leftoverAt = end + 4096;
  data.copy(data, leftoverAt, 0, lastStart);
  data.fill(0, lastStart + Math.floor((end - lastStart) / 2), end);
  fs.writeFileSync(file, data);

  const second = await open(database, { dir, project: false });
  t.deepEqual(
    second.ledger.page(undefined, 10).payments.map((payment) => payment.paymentId),
    kept.map((payment) => payment.paymentId),
    'the torn record is gone, the whole ones are back',
  );
  t.is(second.ledger.find(torn.paymentId), undefined);
  const afterTear = fs.readFileSync(file);
  t.is(afterTear.length, data.length, 'zeroed in place, the segment keeps its size');
  t.true(
    afterTear.subarray(lastStart).every((byte) => byte === 0),
    'nothing but zeros past the whole records, the leftover included',
  );
  const after = second.ledger.recordApproval(approval('after'));
  await second.ledger.durable();
  second.journal.abandon();

  const decoded = decodeRecords(fs.readFileSync(file));
  t.is(decoded.count, 3, 'the new record follows the whole ones, no damaged bytes between');
  const third = await open(database, { dir, project: false });
  t.deepEqual(
    third.ledger.page(undefined, 10).payments.map((payment) => payment.paymentId),
    [...kept, after].map((payment) => payment.paymentId),
  );
  third.journal.abandon();
});

test('a segment is zero-filled to its size before its first record, and records are written in place from its start', async (t) => {
  const dir = tempDir();
  const database = new FakeLedgerDatabase();
  const first = await open(database, { dir, project: false, segmentBytes: 64 * 1024 });
  for (let index = 0; index < 10; index += 1) first.ledger.recordApproval(approval(`o-${index}`));
  await first.ledger.durable();
  first.journal.abandon();
  const file = path.join(dir, segmentsOf(dir)[0]!);
  const data = fs.readFileSync(file);
  t.is(data.length, 64 * 1024, 'the size it was prepared with, not the bytes written');
  const { count, validBytes } = decodeRecords(data);
  t.is(count, 10);
  t.true(
    data.subarray(validBytes).every((byte) => byte === 0),
    'a zero tail: the end of the records',
  );

  // Reopened, the journal writes on where the records end: the zero tail is not a torn record.
  const second = await open(database, { dir, project: false, segmentBytes: 64 * 1024 });
  t.is(second.ledger.size, 10);
  second.ledger.recordApproval(approval('o-10'));
  await second.ledger.durable();
  second.journal.abandon();
  t.deepEqual(segmentsOf(dir), [path.basename(file)], 'still one segment');
  t.is(fs.statSync(file).size, 64 * 1024);
  t.is(decodeRecords(fs.readFileSync(file)).count, 11);
});

test('the next segment is prepared in the background and becomes the new segment when a group does not fit', async (t) => {
  const dir = tempDir();
  const database = new FakeLedgerDatabase();
  const files = new CountedFiles();
  const { journal, ledger } = await open(database, { dir, files, project: false, segmentBytes: 4_096 });
  const prepared = path.join(dir, 'next-segment.zeroed');
  await until('the next segment prepared', () => files.zeroed === 2);
  t.is(fs.statSync(prepared).size, 4_096);
  const preparedInode = fs.statSync(prepared).ino;
  let round = 0;
  while (segmentsOf(dir).length === 1) {
    for (let index = 0; index < 3; index += 1) ledger.recordApproval(approval(`r${round}-${index}`));
    await ledger.durable();
    round += 1;
  }
  const [, second] = segmentsOf(dir);
  t.is(fs.statSync(path.join(dir, second!)).ino, preparedInode, 'the prepared file, renamed: no zero-filling on the way of the answers');
  await until('the one after it prepared', () => files.zeroed === 3);
  journal.abandon();
  // Every record is read back across the rotation, the first segment's zero tail skipped.
  const reopened = await open(database, { dir, project: false, segmentBytes: 4_096 });
  t.is(reopened.ledger.size, round * 3);
  reopened.journal.abandon();
});

test('anything but zeros past the records of a segment that is not the last is refused', async (t) => {
  const dir = tempDir();
  const database = new FakeLedgerDatabase();
  const { journal, ledger } = await open(database, { dir, project: false, segmentBytes: 4_096 });
  while (segmentsOf(dir).length === 1) {
    ledger.recordApproval(approval(`o-${ledger.size}`));
    await ledger.durable();
  }
  journal.abandon();
  const file = path.join(dir, segmentsOf(dir)[0]!);
  const data = fs.readFileSync(file);
  data[decodeRecords(data).validBytes + 100] = 1;
  fs.writeFileSync(file, data);
  await t.throwsAsync(open(database, { dir, project: false, segmentBytes: 4_096 }), {
    message: /is damaged at byte \d+ and is not the last/,
  });
});

test('a record whose CRC does not match is not trusted: it and everything after it are cut away', async (t) => {
  const dir = tempDir();
  const database = new FakeLedgerDatabase();
  const first = await open(database, { dir, project: false });
  const kept = first.ledger.recordApproval(approval('kept'));
  await first.ledger.durable();
  first.ledger.recordApproval(approval('flipped'));
  await first.ledger.durable();
  first.journal.abandon();
  const file = path.join(dir, segmentsOf(dir)[0]!);
  const data = fs.readFileSync(file);
  // One byte of the last record's payload changed, its length intact: only the CRC can tell.
  const end = decodeRecords(data).validBytes;
  data[end - 5] = data[end - 5]! ^ 0x01;
  fs.writeFileSync(file, data);
  const second = await open(database, { dir, project: false });
  t.deepEqual(
    second.ledger.page(undefined, 10).payments.map((payment) => payment.paymentId),
    [kept.paymentId],
  );
  second.journal.abandon();
});

test('records PostgreSQL has not seen are replayed into the index at start and projected', async (t) => {
  const dir = tempDir();
  const database = new FakeLedgerDatabase();
  const first = await open(database, { dir, project: false });
  const payments = Array.from({ length: 30 }, (_, index) => first.ledger.recordApproval(approval(`o-${index}`)));
  first.ledger.reverseAttempt('o-3', 1, 'timed out');
  await first.ledger.durable();
  first.journal.abandon(); // a crash before the projector ran
  t.is(database.projections.length, 0);

  const second = await open(database, { dir });
  t.is(second.ledger.size, 30, 'the index has every approval');
  t.is(second.ledger.find(payments[3]!.paymentId)?.status, 'reversed');
  t.like(second.ledger.refusal('o-3', 1), { kind: 'attempt_reversed' });
  // 30 approvals, o-3's tombstone and o-3 reversed.
  await until('the projection', () => database.checkpoint === 32);
  const projected = database.projections.flatMap((projection) => projection.paymentIds);
  t.deepEqual(new Set(projected), new Set(payments.map((payment) => payment.paymentId)));
  const o3 = database.projections[0]!.paymentIds.indexOf(payments[3]!.paymentId);
  t.is(database.projections[0]!.statuses[o3], 'reversed', 'each payment once, in its latest state');
  await second.journal.close();

  // Everything projected: a third start replays nothing.
  const third = await open(database, { dir, project: false });
  t.is(third.journal.projectionLag, 0);
  third.journal.abandon();
});

test('PostgreSQL down: answers go on from the journal, and the projection catches up once it is back', async (t) => {
  const database = new FakeLedgerDatabase();
  const { journal, ledger } = await open(database, { dir: tempDir() });
  database.down = true;
  for (let index = 0; index < 20; index += 1) {
    ledger.recordApproval(approval(`down-${index}`));
    await ledger.durable();
  }
  t.is(journal.projectionLag, 20, 'durable, not projected');
  await until('a failed projection', () => (journal.projection as LedgerProjection).stats.failures >= 2);
  t.is(database.checkpoint, 0);
  database.down = false;
  await until('the projection to catch up', () => database.checkpoint === 20);
  t.is(journal.projectionLag, 0);
  await journal.close();
});

test('segments whose records are all projected are deleted; the current one stays', async (t) => {
  const dir = tempDir();
  const database = new FakeLedgerDatabase();
  const { journal, ledger } = await open(database, { dir, segmentBytes: 2_000, project: false });
  for (let round = 0; round < 10; round += 1) {
    for (let index = 0; index < 5; index += 1) ledger.recordApproval(approval(`r${round}-${index}`));
    await ledger.durable();
  }
  const written = segmentsOf(dir);
  t.true(written.length > 2, `${written.length} segments`);
  journal.abandon();

  const reopened = await open(database, { dir, segmentBytes: 2_000 });
  t.is(reopened.ledger.size, 50, 'every segment replayed, in order');
  await until('the projection', () => database.checkpoint === 50);
  await until('projected segments deleted', () => segmentsOf(dir).length === 1);
  t.deepEqual(segmentsOf(dir), [written.at(-1)!]);
  await reopened.journal.close();
});

test('a journal directory belongs to one ledger database', async (t) => {
  const dir = tempDir();
  const first = await open(new FakeLedgerDatabase(), { dir, project: false });
  first.journal.abandon();
  fs.writeFileSync(path.join(dir, 'OWNER'), 'payments_test/public');
  await t.throwsAsync(open(new FakeLedgerDatabase(), { dir, project: false }), { message: /belongs to the ledger payments_test\/public/ });
});

test('the projection reads its batches back from the segments: at most a batch, never past the last durable record, one segment after the other', async (t) => {
  const dir = tempDir();
  const record = (n: number): JournalRecord => ({
    kind: 'tombstone',
    tombstone: { orderId: `o-${n}`, attempt: n, reason: 'tail', createdAt: '2026-12-07T00:00:00.000Z' },
  });
  const segment = (first: number, last: number) => {
    const numbers = Array.from({ length: last - first + 1 }, (_, index) => first + index);
    fs.writeFileSync(path.join(dir, segmentName(first)), encodeRecords(numbers.map((n) => JSON.stringify(record(n)))));
  };
  segment(1, 5);
  segment(6, 9);
  let durable = 7;
  const numbersOf = (records: readonly JournalRecord[]) => records.map((one) => (one.kind === 'tombstone' ? one.tombstone.attempt : 0));
  // PostgreSQL holds records 1-2 already.
  const tail = new SegmentTail(dir, 2, () => durable);
  t.is(tail.pending, 5);
  t.deepEqual(numbersOf(await tail.peek(2)), [3, 4], 'no more than the batch asked for');
  t.deepEqual(numbersOf(await tail.peek(10)), [3, 4], 'a batch not yet applied is answered again as it was');
  tail.advance();
  t.deepEqual(numbersOf(await tail.peek(10)), [5], 'to the end of its segment');
  tail.advance();
  // Projected whole, the first segment goes; the tail goes on in the next one.
  fs.unlinkSync(path.join(dir, segmentName(1)));
  t.deepEqual(numbersOf(await tail.peek(10)), [6, 7], 'never past the last durable record');
  tail.advance();
  t.is(tail.pending, 0);
  t.deepEqual(await tail.peek(10), []);
  durable = 9;
  t.deepEqual(numbersOf(await tail.peek(10)), [8, 9]);
  tail.advance();
  // A record counted durable that the segments do not hold is an error, not a silent skip.
  durable = 10;
  await t.throwsAsync(tail.peek(10), { message: /record 10 is durable/ });
  // A fresh tail finds where record 7 starts, skipping the ones before it unparsed.
  const restarted = new SegmentTail(dir, 6, () => 9);
  t.deepEqual(numbersOf(await restarted.peek(10)), [7, 8, 9]);
});

test('the COPY line of a payment: one field per column in order, null as \\N, backslash, tab and line breaks escaped', (t) => {
  const payment = {
    paymentId: 'pay_1',
    orderId: 'o-1',
    attemptKey: null,
    status: 'reversed' as const,
    approvalCode: '12345678',
    approvedAt: '2026-12-07T00:00:00.000Z',
    amountMinor: 45_000,
    currency: 'KRW',
    cardLast4: '4242',
    installmentMonths: 0,
    channel: 'tcp' as const,
    reversedAt: '2026-12-07T00:00:01.000Z',
    cancelReason: 'a\tb\nc\\d\re',
  };
  const line = copyRowOf(payment, 7);
  t.true(line.endsWith('\n'));
  t.deepEqual(line.slice(0, -1).split('\t'), [
    'pay_1',
    '7',
    'o-1',
    '\\N',
    'reversed',
    '12345678',
    '2026-12-07T00:00:00.000Z',
    '45000',
    'KRW',
    '4242',
    '0',
    'tcp',
    '\\N',
    '\\N',
    '2026-12-07T00:00:01.000Z',
    'a\\tb\\nc\\\\d\\re',
  ]);
});
