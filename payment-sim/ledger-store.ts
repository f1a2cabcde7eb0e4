/**
 * The ledger's PostgreSQL journal (database `payments`, migrations in payment-sim/migrations): group
 * commit. Changes recorded in one turn of the event loop, or while the flushes on the wire are busy,
 * go together in the next flush; a flush is ONE statement (data-modifying CTEs over `unnest`ed
 * arrays, so its size never changes the statement or the parameter count), committed on its own.
 * `durable()` resolves when everything recorded so far has committed, and the lines answer only
 * then: an answer a client received is never lost with the process. What is not durable: changes
 * still waiting for their commit when the process dies, which no client was told about
 * (docs/payment-telegram.md#the-ledger).
 *
 * Up to `maxFlushes` flushes are on the wire at once, on separate connections, so a request rarely
 * waits for another's flush before its own starts. Two flushes that touch the same payment, order or
 * idempotency key never overlap (the later waits), so each row's states commit in order; and a
 * batch's waiters are let go only once every batch taken before it has committed too, so an answer
 * never rests on something still uncommitted.
 *
 * A flush that fails (database down) is retried with capped backoff, holding its changes; requests
 * wait unanswered meanwhile, so a client times out into its reversal path rather than being told
 * something the ledger may later lose.
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import type { LedgerJournal, LedgerSnapshot, Payment, StoredAnswer, Tombstone } from './ledger.js';

export interface LedgerStoreOptions {
  /** Flushes on the wire at once (each on its own pooled connection); default 3. */
  maxFlushes?: number;
  /** First retry delay after a failed flush; doubles up to `retryMaxDelayMs`. */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
}

export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * Changes to write, each thing once in its latest state: what one flush (or one projection of the
 * disk journal, ledger-journal.ts) writes with `LEDGER_FLUSH`.
 */
export interface LedgerChanges {
  payments: Map<string, { payment: Payment; seq: number }>;
  /** Keyed by `tombstoneKeyOf`. */
  tombstones: Map<string, Tombstone>;
  /** null: the answer under the key is forgotten. */
  answers: Map<string, StoredAnswer | null>;
}

interface Batch extends LedgerChanges {
  done: Deferred;
  /** What it touches (payment ids, order ids, answer keys): batches sharing one never overlap on the wire. */
  keys?: string[];
  committed: boolean;
  /** A failed batch's changes went on in this one: it has committed when its carrier has. */
  carrier?: Batch;
}

const log = logger('payment-ledger');

/**
 * One statement: upsert payments (their whole current state), add tombstones, upsert and forget
 * stored answers. The one-standing-payment-per-order constraint is deferred to the commit, so a
 * batch that reverses an approval and books the order's next one passes in any row order.
 */
export const LEDGER_FLUSH = `
WITH p AS (
  INSERT INTO payments (payment_id, ledger_seq, order_id, attempt_key, status, approval_code, approved_at,
                        amount_minor, currency, card_last4, installment_months, channel,
                        voided_at, refunded_at, reversed_at, cancel_reason)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                       $8::bigint[], $9::text[], $10::text[], $11::int[], $12::text[],
                       $13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::text[])
  ON CONFLICT (payment_id) DO UPDATE SET
    status = EXCLUDED.status, voided_at = EXCLUDED.voided_at, refunded_at = EXCLUDED.refunded_at,
    reversed_at = EXCLUDED.reversed_at, cancel_reason = EXCLUDED.cancel_reason
  RETURNING 1
), t AS (
  INSERT INTO tombstones (order_id, attempt, reason, created_at)
  SELECT * FROM unnest($17::text[], $18::int[], $19::text[], $20::timestamptz[])
  ON CONFLICT DO NOTHING
  RETURNING 1
), a AS (
  INSERT INTO idempotency_answers (idempotency_key, fingerprint, status, body, payment_id)
  SELECT * FROM unnest($21::text[], $22::text[], $23::int[], $24::jsonb[], $25::text[])
  ON CONFLICT (idempotency_key) DO UPDATE SET
    fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body, payment_id = EXCLUDED.payment_id
  RETURNING 1
), d AS (
  DELETE FROM idempotency_answers WHERE idempotency_key = ANY($26::text[])
  RETURNING 1
)
SELECT (SELECT count(*) FROM p) + (SELECT count(*) FROM t) + (SELECT count(*) FROM a) + (SELECT count(*) FROM d) AS rows`;

export class PostgresLedgerJournal implements LedgerJournal {
  private pending: Batch = emptyBatch();
  /** Batches taken for flushing and not yet let go, oldest first; their waiters are let go in this order. */
  private readonly unsettled: Batch[] = [];
  /** Keys of the batches on the wire (or waiting to be retried), with how many batches hold each. */
  private readonly busyKeys = new Map<string, number>();
  private onTheWire = 0;
  private scheduled = false;
  private retryDelayMs: number;
  private closed = false;
  private readonly maxFlushes: number;
  private readonly retryInitialDelayMs: number;
  private readonly retryMaxDelayMs: number;
  /** Flushes committed and rows written, for the benchmark and tests. */
  readonly stats = { flushes: 0, rows: 0, failures: 0 };

  constructor(
    private readonly db: pg.Pool,
    options: LedgerStoreOptions = {},
  ) {
    this.maxFlushes = options.maxFlushes ?? 3;
    this.retryInitialDelayMs = options.retryInitialDelayMs ?? 100;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 5_000;
    this.retryDelayMs = this.retryInitialDelayMs;
  }

  /** Everything the database holds, to rebuild the in-memory index at start. */
  load(): Promise<LedgerSnapshot> {
    return loadLedgerSnapshot(this.db);
  }

  payment(payment: Payment, seq: number): void {
    this.pending.payments.set(payment.paymentId, { payment, seq });
    this.schedule();
  }

  tombstone(tombstone: Tombstone): void {
    this.pending.tombstones.set(tombstoneKeyOf(tombstone), tombstone);
    this.schedule();
  }

  answer(key: string, answer: StoredAnswer | null): void {
    this.pending.answers.set(key, answer);
    this.schedule();
  }

  durable(): Promise<void> {
    if (!isEmpty(this.pending)) return this.pending.done.promise;
    // The newest batch taken is let go only after every older one: waiting for it covers them all.
    const newest = this.unsettled.at(-1);
    return newest ? newest.done.promise : Promise.resolve();
  }

  /** Flushes what is pending (waiting at most `timeoutMs`) and stops; later changes are not written. */
  async close(timeoutMs = 5_000): Promise<void> {
    const drained = await withDeadline(
      this.durable().then(() => true),
      timeoutMs,
    );
    this.closed = true;
    if (!drained) log.error({ timeoutMs }, 'ledger changes not yet committed at shutdown are lost; their requests were never answered');
  }

  /**
   * The next flush starts when the event loop has handled every request that was ready, so they
   * share it. It runs outside the trace of the request that happened to schedule it: a flush serves
   * many orders, and its query would otherwise land in one of their traces at random.
   */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    context.with(ROOT_CONTEXT, () =>
      setImmediate(() => {
        this.scheduled = false;
        this.startFlush();
      }),
    );
  }

  /** Takes the pending batch onto the wire, unless all slots are busy or it touches what a batch on the wire touches. */
  private startFlush(): void {
    if (this.closed || isEmpty(this.pending) || this.onTheWire >= this.maxFlushes) return;
    const batch = this.pending;
    batch.keys ??= keysOf(batch);
    if (batch.keys.some((key) => this.busyKeys.has(key))) return;
    this.pending = emptyBatch();
    this.unsettled.push(batch);
    this.hold(batch.keys, 1);
    this.onTheWire += 1;
    void this.flush(batch);
  }

  private async flush(batch: Batch): Promise<void> {
    try {
      await this.db.query({ name: 'payment-ledger-flush', text: LEDGER_FLUSH, values: ledgerFlushValues(batch) });
      this.stats.flushes += 1;
      this.stats.rows += batch.payments.size + batch.tombstones.size + batch.answers.size;
      this.retryDelayMs = this.retryInitialDelayMs;
      batch.committed = true;
      this.release(batch);
      this.settle();
    } catch (error) {
      this.stats.failures += 1;
      log.error({ err: error, retryInMs: this.retryDelayMs }, 'ledger flush failed; its requests stay unanswered until it commits');
      // Back into the pending batch, under anything newer recorded meanwhile; it has committed when that one has.
      const carrier = this.pending;
      for (const [key, value] of batch.payments) if (!carrier.payments.has(key)) carrier.payments.set(key, value);
      for (const [key, value] of batch.tombstones) if (!carrier.tombstones.has(key)) carrier.tombstones.set(key, value);
      for (const [key, value] of batch.answers) if (!carrier.answers.has(key)) carrier.answers.set(key, value);
      carrier.keys = undefined;
      batch.carrier = carrier;
      const delay = this.retryDelayMs;
      this.retryDelayMs = Math.min(this.retryMaxDelayMs, this.retryDelayMs * 2);
      // Its keys and slot stay taken until the retry, which holds back whatever touches them: the backoff.
      setTimeout(() => this.release(batch), delay).unref();
    }
  }

  private release(batch: Batch): void {
    this.hold(batch.keys ?? [], -1);
    this.onTheWire -= 1;
    this.startFlush();
  }

  /** Lets go of the waiters of the oldest batches, for as long as each has committed (itself or through its carrier). */
  private settle(): void {
    while (this.unsettled.length > 0 && hasCommitted(this.unsettled[0]!)) this.unsettled.shift()!.done.resolve();
  }

  private hold(keys: string[], change: 1 | -1): void {
    for (const key of keys) {
      const count = (this.busyKeys.get(key) ?? 0) + change;
      if (count > 0) this.busyKeys.set(key, count);
      else this.busyKeys.delete(key);
    }
  }
}

function hasCommitted(batch: Batch): boolean {
  let last = batch;
  while (last.carrier) last = last.carrier;
  return last.committed;
}

/** Payment ids and order ids (a batch may reverse one approval of an order while another books the next), and answer keys. */
function keysOf(batch: Batch): string[] {
  const keys: string[] = [];
  for (const { payment } of batch.payments.values()) keys.push(`p ${payment.paymentId}`, `o ${payment.orderId}`);
  for (const tombstone of batch.tombstones.values()) keys.push(`o ${tombstone.orderId}`);
  for (const key of batch.answers.keys()) keys.push(`a ${key}`);
  return keys;
}

/** The parameters of `LEDGER_FLUSH` for `changes`: one array per column. */
export function ledgerFlushValues(changes: LedgerChanges): unknown[] {
  const payments = [...changes.payments.values()];
  const column = <T>(pick: (entry: { payment: Payment; seq: number }) => T) => payments.map(pick);
  const tombstones = [...changes.tombstones.values()];
  const stored = [...changes.answers].filter((entry): entry is [string, StoredAnswer] => entry[1] !== null);
  const forgotten = [...changes.answers].filter(([, answer]) => answer === null).map(([key]) => key);
  return [
    column((entry) => entry.payment.paymentId),
    column((entry) => entry.seq),
    column((entry) => entry.payment.orderId),
    column((entry) => entry.payment.attemptKey),
    column((entry) => entry.payment.status),
    column((entry) => entry.payment.approvalCode),
    column((entry) => entry.payment.approvedAt),
    column((entry) => entry.payment.amountMinor),
    column((entry) => entry.payment.currency),
    column((entry) => entry.payment.cardLast4),
    column((entry) => entry.payment.installmentMonths),
    column((entry) => entry.payment.channel),
    column((entry) => entry.payment.voidedAt ?? null),
    column((entry) => entry.payment.refundedAt ?? null),
    column((entry) => entry.payment.reversedAt ?? null),
    column((entry) => entry.payment.cancelReason ?? null),
    tombstones.map((tombstone) => tombstone.orderId),
    tombstones.map((tombstone) => tombstone.attempt),
    tombstones.map((tombstone) => tombstone.reason),
    tombstones.map((tombstone) => tombstone.createdAt),
    stored.map(([key]) => key),
    stored.map(([, answer]) => answer.fingerprint),
    stored.map(([, answer]) => answer.status),
    stored.map(([, answer]) => JSON.stringify(answer.body)),
    stored.map(([, answer]) => answer.paymentId ?? null),
    forgotten,
  ];
}

/** The key a tombstone is kept under in `LedgerChanges`: one per order and attempt. */
export function tombstoneKeyOf(tombstone: Tombstone): string {
  return `${tombstone.orderId} ${tombstone.attempt}`;
}

export function emptyLedgerChanges(): LedgerChanges {
  return { payments: new Map(), tombstones: new Map(), answers: new Map() };
}

function emptyBatch(): Batch {
  return { ...emptyLedgerChanges(), done: deferred(), committed: false };
}

/** A promise and the function that resolves it: what a batch's waiters wait on. */
export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** `promise`'s value, or undefined once `ms` have passed without it: a shutdown that must not wait for ever. */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

export function isEmpty(changes: LedgerChanges): boolean {
  return changes.payments.size === 0 && changes.tombstones.size === 0 && changes.answers.size === 0;
}

/** Everything the ledger's database holds: what the in-memory index is rebuilt from at start. */
export async function loadLedgerSnapshot(db: pg.Pool | pg.ClientBase): Promise<LedgerSnapshot> {
  const [payments, tombstones, answers] = await Promise.all([
    db.query<PaymentRow>('SELECT * FROM payments ORDER BY ledger_seq'),
    db.query<TombstoneRow>('SELECT * FROM tombstones'),
    db.query<AnswerRow>('SELECT * FROM idempotency_answers'),
  ]);
  return {
    payments: payments.rows.map((row) => ({ payment: paymentOf(row), seq: Number(row.ledger_seq) })),
    tombstones: tombstones.rows.map((row) => ({
      orderId: row.order_id,
      attempt: row.attempt,
      reason: row.reason,
      createdAt: row.created_at.toISOString(),
    })),
    answers: answers.rows.map((row) => ({
      key: row.idempotency_key,
      answer: {
        fingerprint: row.fingerprint,
        status: row.status,
        body: row.body,
        ...(row.payment_id ? { paymentId: row.payment_id } : {}),
      },
    })),
  };
}

interface PaymentRow {
  payment_id: string;
  ledger_seq: number | string;
  order_id: string;
  attempt_key: string | null;
  status: Payment['status'];
  approval_code: string;
  approved_at: Date;
  amount_minor: number | string;
  currency: string;
  card_last4: string;
  installment_months: number;
  channel: Payment['channel'];
  voided_at: Date | null;
  refunded_at: Date | null;
  reversed_at: Date | null;
  cancel_reason: string | null;
}

interface TombstoneRow {
  order_id: string;
  attempt: number;
  reason: string;
  created_at: Date;
}

interface AnswerRow {
  idempotency_key: string;
  fingerprint: string;
  status: number;
  body: unknown;
  payment_id: string | null;
}

function paymentOf(row: PaymentRow): Payment {
  return {
    paymentId: row.payment_id,
    orderId: row.order_id,
    attemptKey: row.attempt_key,
    status: row.status,
    approvalCode: row.approval_code,
    approvedAt: row.approved_at.toISOString(),
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    cardLast4: row.card_last4,
    installmentMonths: row.installment_months,
    channel: row.channel,
    ...(row.voided_at ? { voidedAt: row.voided_at.toISOString() } : {}),
    ...(row.refunded_at ? { refundedAt: row.refunded_at.toISOString() } : {}),
    ...(row.reversed_at ? { reversedAt: row.reversed_at.toISOString() } : {}),
    ...(row.cancel_reason !== null ? { cancelReason: row.cancel_reason } : {}),
  };
}
