/** The simulator's ledger: one standing approval per order, cancels by state, and 망취소. */
import test from 'ava';
import { PaymentLedger } from '../../payment-sim/ledger.js';
import { PaymentSimulator } from '../../payment-sim/simulator.js';

const approval = (orderId: string) => ({
  orderId,
  amountMinor: 1_000,
  currency: 'KRW',
  cardNumber: '4242424242424242',
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
  t.like(ledger.reverseOrder('o-refund', 'x'), { outcome: 'conflict' });

  t.like(ledger.void('pay_missing', 'x'), { outcome: 'not_found' });
});

test('a reversal frees the order and forgets the answers stored for the approval', (t) => {
  const ledger = new PaymentLedger();
  const first = ledger.recordApproval(approval('o-rev'));
  ledger.storeAnswer('key-1', { fingerprint: 'f', status: 201, body: {}, paymentId: first.paymentId });
  ledger.storeAnswer('key-decline', { fingerprint: 'f', status: 402, body: {} });

  t.like(ledger.reverseOrder('o-rev', 'timeout'), { outcome: 'done', payment: { paymentId: first.paymentId, status: 'reversed' } });
  t.is(ledger.standingPayment('o-rev'), undefined);
  t.is(ledger.storedAnswer('key-1'), undefined);
  t.truthy(ledger.storedAnswer('key-decline'), 'answers of other requests are kept');
  t.like(ledger.reverseOrder('o-rev', 'again'), { outcome: 'done', payment: { paymentId: first.paymentId } });

  const second = ledger.recordApproval(approval('o-rev'));
  t.deepEqual(ledger.paymentsOfOrder('o-rev').map((payment) => payment.paymentId), [first.paymentId, second.paymentId]);
  t.like(ledger.reverseOrder('o-never', 'x'), { outcome: 'nothing' });
});

test('the simulator hands an order its standing approval again instead of a second charge', (t) => {
  const simulator = new PaymentSimulator();
  const input = { orderId: 'o-twice', amountMinor: 5_000, currency: 'KRW' as const, cardNumber: '4242424242424242', installmentMonths: 0 };
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
