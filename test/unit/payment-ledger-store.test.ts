/**
 * The ledger's group commit against a stand-in for the database: changes recorded together share a
 * flush; a flush that fails holds its requests unanswered and is retried until it commits, with
 * nothing lost and the latest state of each payment written.
 */
import test from 'ava';
import type pg from 'pg';
import { PaymentLedger } from '../../payment-sim/ledger.js';
import { PostgresLedgerJournal } from '../../payment-sim/ledger-store.js';

/** Records each flush's values; fails while `down` is set. */
class FakeDatabase {
  down = false;
  readonly flushes: unknown[][] = [];
  attempts = 0;
  /** When set, each flush waits until its gate is opened: flushes can then commit out of order. */
  gated = false;
  readonly gates: (() => void)[] = [];

  async query(statement: { values: unknown[] }): Promise<{ rows: unknown[] }> {
    this.attempts += 1;
    if (this.gated) await new Promise<void>((open) => this.gates.push(open));
    await Promise.resolve();
    if (this.down) throw new Error('connection refused');
    this.flushes.push(statement.values);
    return { rows: [] };
  }

  asPool(): pg.Pool {
    return this as unknown as pg.Pool;
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

/** Lets the event loop run `count` full turns: whatever was due by then has happened. */
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

test('changes recorded in one turn of the event loop share one flush, each payment once in its latest state', async (t) => {
  const database = new FakeDatabase();
  const ledger = new PaymentLedger(new PostgresLedgerJournal(database.asPool()));
  const payments = Array.from({ length: 50 }, (_, index) => ledger.recordApproval(approval(`o-${index}`)));
  ledger.reverseAttempt('o-7', 1, 'timed out');
  ledger.reverseAttempt('o-never', 1, 'overtook its original');
  await ledger.durable();
  t.is(database.flushes.length, 1);
  const [ids, , , , statuses, , , , , , , , , , , , tombstoneOrders] = database.flushes[0]! as unknown[][];
  t.is(ids!.length, 50, 'o-7 written once');
  t.is(statuses![ids!.indexOf(payments[7]!.paymentId)], 'reversed');
  t.deepEqual(tombstoneOrders, ['o-7', 'o-never']);
});

test('a failed flush is retried until it commits; its requests wait, and nothing is lost', async (t) => {
  const database = new FakeDatabase();
  const journal = new PostgresLedgerJournal(database.asPool(), { retryInitialDelayMs: 5, retryMaxDelayMs: 20 });
  const ledger = new PaymentLedger(journal);
  database.down = true;
  ledger.recordApproval(approval('o-down'));
  let durable = false;
  void ledger.durable().then(() => {
    durable = true;
  });
  await until('two failed flushes', () => journal.stats.failures >= 2);
  t.false(durable, 'not durable while the database is down');
  // Recorded during the outage: goes with the retried flush, and its waiters wait for it too.
  ledger.recordApproval(approval('o-during'));
  let laterDurable = false;
  void ledger.durable().then(() => {
    laterDurable = true;
  });
  database.down = false;
  await until('the retried flush to commit', () => durable && laterDurable);
  const written = database.flushes.flatMap((values) => values[2] as string[]);
  t.deepEqual(written.sort(), ['o-down', 'o-during']);
});

test('durable() with nothing recorded resolves at once; during a flush it waits for that flush', async (t) => {
  const database = new FakeDatabase();
  const ledger = new PaymentLedger(new PostgresLedgerJournal(database.asPool()));
  await ledger.durable();
  t.is(database.attempts, 0);
  ledger.recordApproval(approval('o-1'));
  await ledger.durable();
  t.is(database.flushes.length, 1);
});

test('flushes run side by side, but a later one that commits first is not durable before the earlier one', async (t) => {
  const database = new FakeDatabase();
  database.gated = true;
  const ledger = new PaymentLedger(new PostgresLedgerJournal(database.asPool(), { maxFlushes: 3 }));
  ledger.recordApproval(approval('o-first'));
  let firstDurable = false;
  void ledger.durable().then(() => {
    firstDurable = true;
  });
  await until('the first flush on the wire', () => database.gates.length === 1);
  ledger.recordApproval(approval('o-second'));
  let secondDurable = false;
  void ledger.durable().then(() => {
    secondDurable = true;
  });
  await until('the second flush on the wire beside the first', () => database.gates.length === 2);
  database.gates[1]!();
  await until('the second flush to commit', () => database.flushes.length === 1);
  await turns(3);
  t.false(secondDurable, 'its answers may rest on the first batch, still uncommitted');
  database.gates[0]!();
  await until('both durable', () => firstDurable && secondDurable);
  t.pass();
});

test('a batch touching an order that a flush on the wire touches waits for that flush', async (t) => {
  const database = new FakeDatabase();
  database.gated = true;
  const ledger = new PaymentLedger(new PostgresLedgerJournal(database.asPool(), { maxFlushes: 3 }));
  ledger.recordApproval(approval('o-same', 1));
  await until('the first flush on the wire', () => database.gates.length === 1);
  ledger.reverseAttempt('o-same', 1, 'timed out');
  ledger.recordApproval(approval('o-same', 2));
  const durable = ledger.durable();
  await turns(3);
  t.is(database.gates.length, 1, 'the second batch is held back');
  database.gates[0]!();
  await until('the second flush on the wire', () => database.gates.length === 2);
  database.gates[1]!();
  await durable;
  t.is(database.flushes.length, 2);
});
