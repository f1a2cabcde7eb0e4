/** The simulator's ledger: one standing approval per order, cancels by state, reversals tied to their attempt, tombstones. */
import test from 'ava';
import fc from 'fast-check';
import { PaymentLedger } from '../../payment-sim/ledger.js';
import { cardFactsOf, PaymentSimulator, type AuthorizationInput } from '../../payment-sim/simulator.js';

const approval = (orderId: string) => ({
  orderId,
  amountMinor: 1_000,
  currency: 'KRW',
  cardLast4: '4242',
  installmentMonths: 0,
  channel: 'http' as const,
});

test('an approval gets a 20-character payment id and an 8-digit approval code', (t) => {
  const payment = new PaymentLedger().recordApproval(approval('o-1'));
  t.regex(payment.paymentId, /^pay_[0-9a-f]{16}$/);
  t.regex(payment.approvalCode, /^\d{8}$/);
  t.is(payment.cardLast4, '4242');
});

test('void and refund move only forward, and repeat harmlessly', (t) => {
  const ledger = new PaymentLedger();
  const voided = ledger.recordApproval(approval('o-void'));
  t.like(ledger.void(voided.paymentId, 'x'), { outcome: 'done', payment: { status: 'voided' } });
  t.like(ledger.void(voided.paymentId, 'x'), { outcome: 'done' });
  t.like(ledger.refund(voided.paymentId, 'x'), { outcome: 'conflict' });

  const refunded = ledger.recordApproval(approval('o-refund'));
  t.like(ledger.refund(refunded.paymentId, 'x'), { outcome: 'done', payment: { status: 'refunded' } });
  t.like(ledger.refund(refunded.paymentId, 'x'), { outcome: 'done' });
  t.like(ledger.void(refunded.paymentId, 'x'), { outcome: 'conflict' });
  t.like(ledger.voidOrder('o-refund', 'x'), { outcome: 'conflict' });

  t.like(ledger.void('pay_missing', 'x'), { outcome: 'not_found' });
});

test('a reversal of an attempt frees the order and forgets the answers stored for the approval', (t) => {
  const ledger = new PaymentLedger();
  const first = ledger.recordApproval({ ...approval('o-rev'), attempt: 1 });
  ledger.storeAnswer('key-1', { fingerprint: 'f', status: 201, body: {}, paymentId: first.paymentId });
  ledger.storeAnswer('key-decline', { fingerprint: 'f', status: 402, body: {} });

  t.like(ledger.reverseAttempt('o-rev', 1, 'timeout'), { outcome: 'done', payment: { paymentId: first.paymentId, status: 'reversed' } });
  t.is(ledger.standingPayment('o-rev'), undefined);
  t.is(ledger.storedAnswer('key-1'), undefined);
  t.truthy(ledger.storedAnswer('key-decline'), 'answers of other requests are kept');
  t.like(ledger.reverseAttempt('o-rev', 1, 'again'), { outcome: 'done', payment: { paymentId: first.paymentId } });

  const second = ledger.recordApproval({ ...approval('o-rev'), attempt: 2 });
  t.deepEqual(
    ledger.paymentsOfOrder('o-rev').map((payment) => payment.paymentId),
    [first.paymentId, second.paymentId],
  );
  t.like(ledger.reverseAttempt('o-never', 1, 'x'), { outcome: 'nothing' });
  t.like(ledger.voidOrder('o-never-either', 'x'), { outcome: 'nothing' });
});

const input = (orderId: string, attempt?: number): AuthorizationInput => ({
  orderId,
  amountMinor: 5_000,
  currency: 'KRW',
  card: cardFactsOf('4242424242424242'),
  installmentMonths: 0,
  ...(attempt === undefined ? {} : { attempt }),
});

test('a reversal that arrives before its attempt tombstones it: the attempt is refused, the next one approved', (t) => {
  const simulator = new PaymentSimulator();
  t.like(simulator.ledger.reverseAttempt('o-early', 1, 'timed out'), { outcome: 'nothing' });
  t.like(simulator.authorize(input('o-early', 1), 'tcp').answer, { kind: 'refused', refusal: { kind: 'attempt_reversed' } });
  t.deepEqual(simulator.ledger.paymentsOfOrder('o-early'), []);
  t.like(simulator.authorize(input('o-early', 2), 'tcp').answer, { kind: 'approved', repeated: false });
});

test('a late reversal of attempt 1 leaves the approval of attempt 2 alone', (t) => {
  const simulator = new PaymentSimulator();
  const second = simulator.authorize(input('o-late', 2), 'http').answer;
  if (second.kind !== 'approved') return t.fail('attempt 2 not approved');
  t.like(simulator.ledger.reverseAttempt('o-late', 1, 'late'), { outcome: 'nothing' });
  t.is(simulator.ledger.find(second.payment.paymentId)?.status, 'authorized');
  t.is(simulator.ledger.standingPayment('o-late'), second.payment);
});

test('an attempt is never handed another attempt’s approval; the same attempt gets its own again', (t) => {
  const simulator = new PaymentSimulator();
  const first = simulator.authorize(input('o-two', 1), 'tcp').answer;
  t.like(first, { kind: 'approved' });
  t.like(simulator.authorize(input('o-two', 1), 'tcp').answer, { kind: 'approved', repeated: true });
  t.like(simulator.authorize(input('o-two', 2), 'tcp').answer, { kind: 'order_conflict' });
});

test('a void by order id tombstones the order: no attempt is approved afterwards, named or not', (t) => {
  const simulator = new PaymentSimulator();
  t.like(simulator.ledger.voidOrder('o-void', 'cancelled'), { outcome: 'nothing' });
  t.like(simulator.authorize(input('o-void', 1), 'tcp').answer, { kind: 'refused', refusal: { kind: 'order_voided' } });
  t.like(simulator.authorize(input('o-void'), 'http').answer, { kind: 'refused', refusal: { kind: 'order_voided' } });
  t.deepEqual(simulator.ledger.paymentsOfOrder('o-void'), []);
});

test('property: whatever the interleaving of approvals, attempt reversals and voids, at most one attempt’s approval stands, and a reversed attempt never ends approved', (t) => {
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('authorize' as const), order: fc.nat(2), attempt: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('reverse' as const), order: fc.nat(2), attempt: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('void' as const), order: fc.nat(2), attempt: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
      const simulator = new PaymentSimulator();
      const reversed = new Set<string>();
      const voided = new Set<string>();
      for (const { kind, order, attempt } of operations) {
        const orderId = `o-${order}`;
        if (kind === 'authorize') simulator.authorize(input(orderId, attempt), 'tcp');
        else if (kind === 'reverse') {
          simulator.ledger.reverseAttempt(orderId, attempt, 'x');
          reversed.add(`${orderId}:${attempt}`);
        } else {
          simulator.ledger.voidOrder(orderId, 'x');
          voided.add(orderId);
        }
      }
      for (const order of [0, 1, 2]) {
        const payments = simulator.ledger.paymentsOfOrder(`o-${order}`);
        if (payments.filter((payment) => payment.status !== 'reversed').length > 1) return false;
        for (const payment of payments) {
          if (payment.status === 'authorized' && reversed.has(payment.attemptKey!)) return false;
          if (payment.status === 'authorized' && voided.has(payment.orderId)) return false;
        }
      }
      return true;
    }),
  );
  t.pass();
});

test('pages list every payment once, in booking order, with a cursor until the last', (t) => {
  const ledger = new PaymentLedger();
  const booked = Array.from({ length: 7 }, (_, index) => ledger.recordApproval(approval(`o-page-${index}`)).paymentId);
  ledger.reverseAttempt('o-page-3', 1, 'x');
  const seen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = ledger.page(after, 3);
    seen.push(...page.payments.map((payment) => payment.paymentId));
    if (!page.next) break;
    after = page.next;
  }
  t.deepEqual(seen, booked);
  t.deepEqual(ledger.page(undefined, 10).next, undefined);
  t.deepEqual(ledger.page('999', 10).payments, []);
});

test('the simulator hands an order its standing approval again instead of a second charge', (t) => {
  const simulator = new PaymentSimulator();
  const input = {
    orderId: 'o-twice',
    amountMinor: 5_000,
    currency: 'KRW' as const,
    card: cardFactsOf('4242424242424242'),
    installmentMonths: 0,
  };
  const first = simulator.authorize(input, 'tcp').answer;
  const again = simulator.authorize(input, 'http').answer;
  t.like(first, { kind: 'approved', repeated: false });
  t.like(again, { kind: 'approved', repeated: true });
  if (first.kind === 'approved' && again.kind === 'approved') t.is(again.payment.paymentId, first.payment.paymentId);
  t.like(simulator.authorize({ ...input, amountMinor: 1 }, 'tcp').answer, { kind: 'order_conflict' });
  t.is(simulator.ledger.paymentsOfOrder('o-twice').length, 1);
});

test('held requests are let go on release, or when their caller gives up', async (t) => {
  const simulator = new PaymentSimulator();
  const caller = new AbortController();
  const byCaller = simulator.hold(caller.signal);
  const byShutdown = simulator.hold();
  caller.abort();
  await byCaller;
  simulator.releaseAll();
  await byShutdown;
  t.pass();
});

test("a token's card facts are decrypted once and kept, never the number; a token the vault never issued is looked up each time", async (t) => {
  const simulator = new PaymentSimulator();
  const { cardToken } = await simulator.vault.tokenize('4000000000009995');
  const reveal = simulator.vault.reveal.bind(simulator.vault);
  let reveals = 0;
  simulator.vault.reveal = (token: string) => {
    reveals += 1;
    return reveal(token);
  };
  const request = { orderId: 'o-facts', amountMinor: 5_000, currency: 'KRW' as const, cardToken, installmentMonths: 0 };
  const first = await simulator.detokenize(request);
  const second = await simulator.detokenize({ ...request, orderId: 'o-facts-2' });
  t.is(reveals, 1, 'the second approval with the token pays no decryption');
  t.deepEqual(first.card, { last4: '9995', decision: { kind: 'decline', declineCode: 'insufficient_funds' } });
  t.deepEqual(second.card, first.card);
  t.false(JSON.stringify([first, second]).includes('4000000000009995'), 'what the simulator keeps per token holds no card number');
  t.like(simulator.authorize(second, 'tcp').answer, { kind: 'declined', declineCode: 'insufficient_funds' });
  const unknown = { ...request, cardToken: 'tok_AAAAAAAAAAAAAAAAAAAA' };
  t.is((await simulator.detokenize(unknown)).card, undefined);
  t.is((await simulator.detokenize(unknown)).card, undefined);
  t.is(reveals, 3);
});
