/**
 * The simulator's book of payments, shared by the HTTP API and the TCP 전문 server: approvals,
 * voids, refunds, reversals, tombstones, and the answers stored under HTTP idempotency keys.
 *
 * Decisions are made here, synchronously, on an in-memory index (so "one standing approval per
 * order" needs no lock: the event loop orders every request). Every change is also handed to a
 * `LedgerJournal`: the PostgreSQL journal (ledger-store.ts) commits changes in groups; the disk journal
 * (ledger-journal.ts) fdatasyncs them to local segment files and projects them into PostgreSQL behind.
 * The lines answer a request only after `durable()` resolves, so whatever a client was told survives a restart.
 * On start the index is rebuilt from the journal's contents (`PaymentLedger.restore`).
 * See docs/payment-telegram.md#the-ledger.
 */
import { randomUUID } from 'node:crypto';
import type { PaymentChannel } from '../platform/contracts/order.js';

/**
 * `voided` and `refunded` are the merchant cancelling a payment it knew about; `reversed` is a
 * 망취소 (net cancel) of an approval whose answer the merchant never received. A reversal makes the
 * approval as if it never happened.
 */
export type PaymentStatus = 'authorized' | 'voided' | 'refunded' | 'reversed';

export interface Payment {
  paymentId: string;
  orderId: string;
  /** `<orderId>:<attempt>` of the authorization attempt that obtained it; null when the client named none. */
  attemptKey: string | null;
  status: PaymentStatus;
  approvalCode: string;
  approvedAt: string;
  amountMinor: number;
  currency: string;
  cardLast4: string;
  installmentMonths: number;
  channel: PaymentChannel;
  voidedAt?: string;
  refundedAt?: string;
  reversedAt?: string;
  cancelReason?: string;
}

export interface NewApproval {
  orderId: string;
  /** The authorization attempt (1, 2, …) this approval answers; absent for a client that names none. */
  attempt?: number;
  amountMinor: number;
  currency: string;
  /** All of the card the ledger keeps. */
  cardLast4: string;
  installmentMonths: number;
  channel: PaymentChannel;
}

/**
 * A mark that refuses later approvals: of one attempt (`attempt` ≥ 1, left by a reversal of that
 * attempt) or of the whole order (`attempt` 0, left by a void by order id).
 */
export interface Tombstone {
  orderId: string;
  attempt: number;
  reason: string;
  createdAt: string;
}

/** The attempt number a tombstone of the whole order carries. */
export const WHOLE_ORDER = 0;

/** The first answer given under an idempotency key, replayed verbatim to every retry with that key. */
export interface StoredAnswer {
  /** The request the key was first used with, canonicalised; a different request under the key is a conflict. */
  fingerprint: string;
  status: number;
  body: unknown;
  paymentId?: string;
}

/** Where the ledger's changes go to last. Each call records the latest state of one thing. */
export interface LedgerJournal {
  /** The payment's whole current state, with its booking sequence number. */
  payment(payment: Payment, seq: number): void;
  tombstone(tombstone: Tombstone): void;
  /** null: the answer under `key` is forgotten. */
  answer(key: string, answer: StoredAnswer | null): void;
  /** Resolves once every change recorded so far is durable. */
  durable(): Promise<void>;
}

/** What a ledger is rebuilt from: everything a journal holds. Payments in booking order. */
export interface LedgerSnapshot {
  payments: { payment: Payment; seq: number }[];
  tombstones: Tombstone[];
  answers: { key: string; answer: StoredAnswer }[];
}

/** Keeps nothing: for a ledger that lives and dies with its process (unit tests). */
export const memoryJournal: LedgerJournal = {
  payment: () => undefined,
  tombstone: () => undefined,
  answer: () => undefined,
  durable: () => Promise.resolve(),
};

export type CancelResult =
  { outcome: 'done'; payment: Payment } | { outcome: 'not_found' } | { outcome: 'conflict'; payment: Payment; detail: string };

export type ReversalResult = Exclude<CancelResult, { outcome: 'not_found' }> | { outcome: 'nothing' };

/** Why an approval request may not be approved whatever the card says. */
export type Refusal = { kind: 'attempt_reversed'; tombstone: Tombstone } | { kind: 'order_voided'; tombstone: Tombstone };

export interface LedgerPage {
  payments: Payment[];
  /** Present when more payments follow: pass it as `after` for the next page. */
  next?: string;
}

/** A payment and its booking sequence number. */
interface Booking {
  payment: Payment;
  seq: number;
}

/**
 * What the ledger knows of one order, under one key: an approval looks the order up once or twice
 * and books it with one more entry, where separate maps (standing, by attempt, reversed, tombstones,
 * each with its own key string) made a quarter of the 전문 thread's time at benchmark rates.
 */
interface OrderEntry {
  /** Every payment of the order, in booking order (at most a few). */
  payments: Payment[];
  /** The payment that still counts (not reversed): at most one per order, so never a second charge. Always the last booked. */
  standing: Payment | undefined;
  /** By attempt; `WHOLE_ORDER` for a void by order id. */
  tombstones: Map<number, Tombstone> | undefined;
}

export class PaymentLedger {
  private readonly payments = new Map<string, Booking>();
  /** Every payment in booking order, with its sequence number: the ledger's stable order. */
  private readonly booked: Booking[] = [];
  private lastSeq = 0;
  private readonly orders = new Map<string, OrderEntry>();
  private readonly answers = new Map<string, StoredAnswer>();
  private readonly answerKeysByPayment = new Map<string, string[]>();

  constructor(private readonly journal: LedgerJournal = memoryJournal) {}

  /** A ledger holding what `snapshot` holds, recording its changes to `journal`. */
  static restore(snapshot: LedgerSnapshot, journal: LedgerJournal): PaymentLedger {
    const ledger = new PaymentLedger(journal);
    for (const { payment, seq } of snapshot.payments) ledger.index(payment, seq);
    for (const tombstone of snapshot.tombstones)
      (ledger.entry(tombstone.orderId).tombstones ??= new Map()).set(tombstone.attempt, tombstone);
    for (const { key, answer } of snapshot.answers) ledger.remember(key, answer);
    return ledger;
  }

  /** Resolves once every change made so far is durable; a line answers only after it. */
  durable(): Promise<void> {
    return this.journal.durable();
  }

  recordApproval(approval: NewApproval, now = new Date()): Payment {
    const payment: Payment = {
      paymentId: newPaymentId(),
      orderId: approval.orderId,
      attemptKey: approval.attempt === undefined ? null : attemptKeyOf(approval.orderId, approval.attempt),
      status: 'authorized',
      // Not a secret, so Math.random will do; crypto's randomInt costs more at benchmark rates.
      approvalCode: String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0'),
      approvedAt: now.toISOString(),
      amountMinor: approval.amountMinor,
      currency: approval.currency,
      cardLast4: approval.cardLast4,
      installmentMonths: approval.installmentMonths,
      channel: approval.channel,
    };
    this.lastSeq += 1;
    this.index(payment, this.lastSeq);
    this.journal.payment(payment, this.lastSeq);
    return payment;
  }

  find(paymentId: string): Payment | undefined {
    return this.payments.get(paymentId)?.payment;
  }

  /** The payment that still counts for an order, whatever its state; undefined when none or reversed. */
  standingPayment(orderId: string): Payment | undefined {
    return this.orders.get(orderId)?.standing;
  }

  /** The payment an attempt obtained, whatever became of it. */
  paymentOfAttempt(orderId: string, attempt: number): Payment | undefined {
    const attemptKey = attemptKeyOf(orderId, attempt);
    return lastOf(this.orders.get(orderId)?.payments, (payment) => payment.attemptKey === attemptKey);
  }

  /** Every payment made for an order, oldest first. */
  paymentsOfOrder(orderId: string): Payment[] {
    return [...(this.orders.get(orderId)?.payments ?? [])];
  }

  /**
   * Why an approval for the order (and attempt, when named) must be refused: the order was voided
   * by order id, or this very attempt was reversed before its request arrived.
   */
  refusal(orderId: string, attempt: number | undefined): Refusal | undefined {
    const tombstones = this.orders.get(orderId)?.tombstones;
    if (!tombstones) return undefined;
    const order = tombstones.get(WHOLE_ORDER);
    if (order) return { kind: 'order_voided', tombstone: order };
    if (attempt === undefined) return undefined;
    const reversed = tombstones.get(attempt);
    return reversed ? { kind: 'attempt_reversed', tombstone: reversed } : undefined;
  }

  void(paymentId: string, reason: string, now = new Date()): CancelResult {
    const payment = this.find(paymentId);
    if (!payment) return { outcome: 'not_found' };
    if (payment.status === 'voided' || payment.status === 'reversed') return { outcome: 'done', payment };
    if (payment.status === 'refunded') {
      return { outcome: 'conflict', payment, detail: `payment ${paymentId} is refunded and can no longer be voided` };
    }
    payment.status = 'voided';
    payment.voidedAt = now.toISOString();
    payment.cancelReason = reason;
    this.changed(payment);
    return { outcome: 'done', payment };
  }

  refund(paymentId: string, reason: string, now = new Date()): CancelResult {
    const payment = this.find(paymentId);
    if (!payment) return { outcome: 'not_found' };
    if (payment.status === 'refunded') return { outcome: 'done', payment };
    if (payment.status !== 'authorized') {
      return { outcome: 'conflict', payment, detail: `payment ${paymentId} is ${payment.status}; there is nothing to refund` };
    }
    payment.status = 'refunded';
    payment.refundedAt = now.toISOString();
    payment.cancelReason = reason;
    this.changed(payment);
    return { outcome: 'done', payment };
  }

  /**
   * 망취소 of one authorization attempt: reverses the approval that attempt obtained, if any, and
   * leaves a tombstone for the attempt either way, so its request arriving later (it may overtake
   * nothing on the wire, or travel on another connection) is refused instead of approved. Touches
   * no other attempt's approval. Idempotent.
   */
  reverseAttempt(orderId: string, attempt: number, reason: string, now = new Date()): ReversalResult {
    this.bury(orderId, attempt, reason, now);
    const payment = this.paymentOfAttempt(orderId, attempt);
    if (!payment) return { outcome: 'nothing' };
    return this.reverse(payment, reason, now);
  }

  /**
   * Void by order id (the saga's compensation when it holds no payment id): reverses whatever
   * approval the order holds, known to the merchant or not, and leaves a tombstone for the whole
   * order, so an attempt still on its way is refused afterwards. Idempotent: an order whose approval
   * is already voided or reversed is `done` again; an order with no approval has `nothing` cancelled.
   */
  voidOrder(orderId: string, reason: string, now = new Date()): ReversalResult {
    this.bury(orderId, WHOLE_ORDER, reason, now);
    const payment = this.standingPayment(orderId);
    if (!payment) {
      // Payments are reversed in booking order (the next is booked only once the last is reversed).
      const latest = lastOf(this.orders.get(orderId)?.payments, (one) => one.status === 'reversed');
      return latest ? { outcome: 'done', payment: latest } : { outcome: 'nothing' };
    }
    return this.reverse(payment, reason, now);
  }

  storedAnswer(idempotencyKey: string): StoredAnswer | undefined {
    return this.answers.get(idempotencyKey);
  }

  storeAnswer(idempotencyKey: string, answer: StoredAnswer): void {
    this.remember(idempotencyKey, answer);
    this.journal.answer(idempotencyKey, answer);
  }

  /** Up to `limit` payments booked after the cursor `after` (none: from the first), in booking order. */
  page(after: string | undefined, limit: number): LedgerPage {
    const afterSeq = after === undefined ? 0 : Number(after);
    // Sequence numbers rise along `booked`: binary search for the first one past the cursor.
    let low = 0;
    let high = this.booked.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.booked[middle]!.seq <= afterSeq) low = middle + 1;
      else high = middle;
    }
    const bookings = this.booked.slice(low, low + limit);
    const payments = bookings.map((booking) => booking.payment);
    const more = low + limit < this.booked.length;
    return more ? { payments, next: String(bookings.at(-1)!.seq) } : { payments };
  }

  /** Payments booked, whatever their state. */
  get size(): number {
    return this.booked.length;
  }

  private reverse(payment: Payment, reason: string, now: Date): ReversalResult {
    if (payment.status === 'voided' || payment.status === 'reversed') return { outcome: 'done', payment };
    if (payment.status === 'refunded') {
      return {
        outcome: 'conflict',
        payment,
        detail: `payment ${payment.paymentId} of order ${payment.orderId} is refunded and can no longer be reversed`,
      };
    }
    payment.status = 'reversed';
    payment.reversedAt = now.toISOString();
    payment.cancelReason = reason;
    this.unstand(payment);
    // A retry under the same idempotency key must not be handed a dead approval.
    for (const key of this.answerKeysByPayment.get(payment.paymentId) ?? []) {
      this.answers.delete(key);
      this.journal.answer(key, null);
    }
    this.answerKeysByPayment.delete(payment.paymentId);
    this.changed(payment);
    return { outcome: 'done', payment };
  }

  private bury(orderId: string, attempt: number, reason: string, now: Date): void {
    const tombstones = (this.entry(orderId).tombstones ??= new Map());
    if (tombstones.has(attempt)) return;
    const tombstone: Tombstone = { orderId, attempt, reason, createdAt: now.toISOString() };
    tombstones.set(attempt, tombstone);
    this.journal.tombstone(tombstone);
  }

  private index(payment: Payment, seq: number): void {
    const booking = { payment, seq };
    this.payments.set(payment.paymentId, booking);
    this.booked.push(booking);
    this.lastSeq = Math.max(this.lastSeq, seq);
    const entry = this.entry(payment.orderId);
    entry.payments.push(payment);
    if (payment.status !== 'reversed') entry.standing = payment;
  }

  private unstand(payment: Payment): void {
    const entry = this.orders.get(payment.orderId);
    if (entry?.standing === payment) entry.standing = undefined;
  }

  private entry(orderId: string): OrderEntry {
    let entry = this.orders.get(orderId);
    if (!entry) {
      entry = { payments: [], standing: undefined, tombstones: undefined };
      this.orders.set(orderId, entry);
    }
    return entry;
  }

  private remember(key: string, answer: StoredAnswer): void {
    this.answers.set(key, answer);
    if (answer.paymentId) {
      const keys = this.answerKeysByPayment.get(answer.paymentId);
      if (keys) keys.push(key);
      else this.answerKeysByPayment.set(answer.paymentId, [key]);
    }
  }

  private changed(payment: Payment): void {
    this.journal.payment(payment, this.payments.get(payment.paymentId)!.seq);
  }
}

/** `<orderId>:<attempt>`: the name of one authorization attempt, on both lines and in the ledger. */
export function attemptKeyOf(orderId: string, attempt: number): string {
  return `${orderId}:${attempt}`;
}

/** The last of an order's few payments that `matches`. */
function lastOf(payments: readonly Payment[] | undefined, matches: (payment: Payment) => boolean): Payment | undefined {
  for (let index = (payments?.length ?? 0) - 1; index >= 0; index -= 1) if (matches(payments![index]!)) return payments![index];
  return undefined;
}

/** `pay_` and 16 hex digits: 20 characters, the width of the telegram's transaction id field. */
function newPaymentId(): string {
  const uuid = randomUUID();
  return `pay_${uuid.slice(0, 8)}${uuid.slice(9, 13)}${uuid.slice(14, 18)}`;
}
