/**
 * The payment ledger survives a restart: payment-sim started twice over the same database (a schema
 * of this test's own) answers the second time as it did the first. And the group commit loses
 * nothing: every approval answered is a committed row before the answer arrives, however many
 * requests share a flush.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import type { AuthorizationRequest } from '../../activities/payment/gateway.js';
import { HttpPaymentGateway } from '../../activities/payment/http-gateway.js';
import { TcpPaymentGateway } from '../../activities/payment/tcp/gateway.js';
import { openDatabase } from '../../platform/db.js';
import { PaymentLedger, type Payment } from '../../payment-sim/ledger.js';
import { PostgresLedgerJournal } from '../../payment-sim/ledger-store.js';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { cardFactsOf } from '../../payment-sim/simulator.js';
import { eventually } from '../support/estate.js';
import { authorizationRequest, scratchLedgerDatabase, type ScratchLedgerDatabase, vaultApprovedCard } from './payment-ledger-support.js';

let database: ScratchLedgerDatabase;

/** The approved test card, vaulted once in the scratch database: every simulator started on it can use the token. */
let cardToken: string;

test.before(async () => {
  database = await scratchLedgerDatabase();
  cardToken = await vaultApprovedCard(database);
});

test.after.always(async () => {
  await database?.drop();
});

function request(orderId = randomUUID(), attempt = 1) {
  return authorizationRequest(cardToken, orderId, attempt);
}

async function post(sim: RunningPaymentSim, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body: (await response.json()) as any };
}

function authorizeBody({ idempotencyKey: _key, ...body }: AuthorizationRequest) {
  return body;
}

/** The whole ledger through the auditor's endpoint, page by page. */
async function wholeLedger(sim: RunningPaymentSim): Promise<Payment[]> {
  const payments: Payment[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10_000; page += 1) {
    const response = await fetch(`${sim.httpUrl}/admin/ledger?limit=7${after ? `&after=${after}` : ''}`);
    const body = (await response.json()) as { payments: Payment[]; next?: string };
    payments.push(...body.payments);
    if (!body.next) return payments;
    after = body.next;
  }
  throw new Error('the ledger never ended');
}

test.serial(
  'after a restart the ledger still holds every payment, tombstone and stored answer, and one approval per order still holds',
  async (t) => {
    const first = await startPaymentSim({ httpPort: 0, tcpPort: 0, databaseUrl: database.url });
    const http = new HttpPaymentGateway({ baseUrl: first.httpUrl, timeoutMs: 5_000 });
    const approved = request();
    const voided = request();
    const refunded = request();
    const reversed = request();
    const reversedEarly = request();
    const voidedByOrder = request();
    const overTcp = request();
    let tcpApproval: Awaited<ReturnType<TcpPaymentGateway['authorize']>>;
    let firstAnswer: Awaited<ReturnType<typeof post>>;
    const tcp = new TcpPaymentGateway({ address: first.tcpAddress, poolSize: 1, timeoutMs: 5_000 });
    try {
      firstAnswer = await post(first, '/payments/authorize', authorizeBody(approved), { 'idempotency-key': approved.idempotencyKey });
      t.is(firstAnswer.status, 201);
      const toVoid = await http.authorize(voided);
      const toRefund = await http.authorize(refunded);
      if (toVoid.outcome !== 'approved' || toRefund.outcome !== 'approved') return t.fail('setup approvals failed');
      await http.void({ orderId: voided.orderId, paymentId: toVoid.paymentId, amountMinor: 1, reason: 'shipment failed' });
      t.is((await post(first, `/payments/${toRefund.paymentId}/refund`, { reason: 'returned' })).status, 200);
      await http.authorize(reversed);
      await http.reverseAttempt({ orderId: reversed.orderId, attempt: 1, amountMinor: 1, reason: 'timed out' });
      await http.reverseAttempt({ orderId: reversedEarly.orderId, attempt: 1, amountMinor: 1, reason: 'overtook its original' });
      await http.void({ orderId: voidedByOrder.orderId, amountMinor: 1, reason: 'cancelled before paying' });
      tcpApproval = await tcp.authorize(overTcp);
    } finally {
      await tcp.close();
    }
    const before = await wholeLedger(first);
    t.is(before.length, 5);
    // Stopped without a chance to flush more than it already had: everything answered was committed before its answer.
    await first.close();

    const second = await startPaymentSim({ httpPort: 0, tcpPort: 0, databaseUrl: database.url });
    const tcpAgain = new TcpPaymentGateway({ address: second.tcpAddress, poolSize: 1, timeoutMs: 5_000 });
    try {
      t.deepEqual(await wholeLedger(second), before, 'the same payments, states and order');

      const replay = await post(second, '/payments/authorize', authorizeBody(approved), { 'idempotency-key': approved.idempotencyKey });
      t.is(replay.status, 201);
      t.is(replay.replayed, 'true', 'the stored answer is replayed');
      t.deepEqual(replay.body, firstAnswer.body);

      const otherKey = await post(second, '/payments/authorize', authorizeBody(approved), { 'idempotency-key': 'another key' });
      t.like(
        otherKey,
        { status: 200, body: { paymentId: firstAnswer.body.paymentId } },
        'the standing approval again, not a second charge',
      );
      const otherAttempt = await post(second, '/payments/authorize', authorizeBody({ ...approved, attempt: 2 }), {
        'idempotency-key': 'k2',
      });
      t.like(otherAttempt, { status: 409, body: { type: 'order_already_paid' } });

      const lateOriginal = await post(second, '/payments/authorize', authorizeBody(reversedEarly), {
        'idempotency-key': reversedEarly.idempotencyKey,
      });
      t.like(lateOriginal, { status: 409, body: { type: 'attempt_reversed' } }, 'the attempt tombstone survived');
      const reversedAgain = await post(second, '/payments/authorize', authorizeBody(reversed), {
        'idempotency-key': reversed.idempotencyKey,
      });
      t.like(reversedAgain, { status: 409, body: { type: 'attempt_reversed' } });
      const zombie = await post(second, '/payments/authorize', authorizeBody({ ...voidedByOrder, attempt: 3 }), {
        'idempotency-key': 'zombie',
      });
      t.like(zombie, { status: 409, body: { type: 'order_voided' } }, 'the order tombstone survived');

      const tcpRepeat = await tcpAgain.authorize(overTcp);
      t.deepEqual(tcpRepeat, tcpApproval, 'the TCP approval is handed out again, same transaction id');
      t.is((await wholeLedger(second)).length, 5, 'nothing was charged twice');
    } finally {
      await tcpAgain.close();
      await second.close();
    }
  },
);

test.serial(
  'group commit under concurrency: no answer overtakes its commit, and every answered approval and reversal is a committed row',
  async (t) => {
    const sim = await startPaymentSim({ httpPort: 0, tcpPort: 0, databaseUrl: database.url });
    const tcp = new TcpPaymentGateway({ address: sim.tcpAddress, poolSize: 4, timeoutMs: 20_000 });
    const http = new HttpPaymentGateway({ baseUrl: sim.httpUrl, timeoutMs: 20_000 });
    const db = openDatabase(database.url, 'payments-test');
    const blocker = await db.connect();
    try {
      // Hold the ledger's commits: while this lock is held, a flush waits inside PostgreSQL.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE');
      const flushesBefore = sim.journal!.stats.flushes;
      const requests = Array.from({ length: 600 }, (_, index) => ({ ...request(), channel: index % 6 === 0 ? http : tcp }));
      let answered = 0;
      const pending = Promise.all(
        requests.map(({ channel, ...one }) =>
          channel.authorize(one).finally(() => {
            answered += 1;
          }),
        ),
      );
      await eventually(
        'a ledger flush waiting on the lock',
        async () => {
          const { rows } = await db.query<{ waiting: number }>(
            "SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted AND relation = 'payments'::regclass",
          );
          return rows[0]!.waiting > 0 ? true : undefined;
        },
        10_000,
        20,
      );
      t.is(answered, 0, 'no approval is answered before its commit');
      await blocker.query('COMMIT');
      const results = await pending;

      const reversedOrders = requests.filter((_, index) => index % 5 === 0);
      await Promise.all(
        reversedOrders.map((one) => tcp.reverseAttempt({ orderId: one.orderId, attempt: 1, amountMinor: 1, reason: 'test' })),
      );
      // Read straight away, the simulator still running: whatever was answered is already committed.
      const rows = await database.query<{ payment_id: string; order_id: string; status: string }>(
        'SELECT payment_id, order_id, status FROM payments WHERE order_id = ANY($1)',
        [requests.map((one) => one.orderId)],
      );
      const byPayment = new Map(rows.map((row) => [row.payment_id, row]));
      const reversedSet = new Set(reversedOrders.map((one) => one.orderId));
      for (const [index, result] of results.entries()) {
        if (result.outcome !== 'approved') return t.fail(`request ${index} was not approved`);
        t.is(
          byPayment.get(result.paymentId)?.status,
          reversedSet.has(requests[index]!.orderId) ? 'reversed' : 'authorized',
          `payment ${index}`,
        );
      }
      t.is(rows.length, requests.length);
      const flushes = sim.journal!.stats.flushes - flushesBefore;
      t.true(
        flushes < (requests.length + reversedOrders.length) / 3,
        `${flushes} flushes for ${requests.length} approvals and ${reversedOrders.length} reversals`,
      );
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
      await db.end();
      await tcp.close();
      await sim.close();
    }
  },
);

test.serial('property: whatever runs at once, the ledger rebuilt from the database equals the one that answered', async (t) => {
  const sim = await startPaymentSim({ httpPort: 0, tcpPort: 0, databaseUrl: database.url });
  const orders = Array.from({ length: 4 }, () => randomUUID());
  const operation = fc.record({
    kind: fc.constantFrom('authorize', 'reverse', 'void', 'refund'),
    order: fc.nat(orders.length - 1),
    attempt: fc.integer({ min: 1, max: 3 }),
  });
  const { ledger } = sim.simulator;
  const db = openDatabase(database.url, 'payments-test');
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 30 }), async (operations) => {
        // All at once, as requests from many connections would be.
        await Promise.all(
          operations.map(async ({ kind, order, attempt }) => {
            const orderId = orders[order]!;
            if (kind === 'authorize') {
              const { cardToken: _token, ...body } = authorizeBody(request(orderId, attempt));
              sim.simulator.authorize({ ...body, card: cardFactsOf('4242424242424242'), installmentMonths: 0, currency: 'KRW' }, 'tcp');
            } else if (kind === 'reverse') ledger.reverseAttempt(orderId, attempt, 'property');
            else if (kind === 'void') ledger.voidOrder(orderId, 'property');
            else {
              const standing = ledger.standingPayment(orderId);
              if (standing) ledger.refund(standing.paymentId, 'property');
            }
            await ledger.durable();
          }),
        );
        const rebuilt = PaymentLedger.restore(await new PostgresLedgerJournal(db).load(), new PostgresLedgerJournal(db));
        const all = (book: PaymentLedger) => book.page(undefined, 100_000).payments;
        t.deepEqual(all(rebuilt), all(ledger));
        for (const orderId of orders) {
          t.deepEqual(rebuilt.refusal(orderId, 1), ledger.refusal(orderId, 1));
          t.true(rebuilt.paymentsOfOrder(orderId).filter((payment) => payment.status !== 'reversed').length <= 1);
        }
      }),
      { numRuns: 15 },
    );
  } finally {
    await db.end();
    await sim.close();
  }
});
