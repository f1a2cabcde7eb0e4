/**
 * The HTTP payment line end to end: HttpPaymentGateway against the simulator's API, in process on
 * a random port.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { HttpPaymentGateway } from '../../activities/payment/http-gateway.js';
import { PaymentGatewayError, type AuthorizationRequest } from '../../activities/payment/gateway.js';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { testCards } from '../../platform/contracts/demo-triggers.js';
import { vaultCards } from '../support/vaulted-cards.js';

let sim: RunningPaymentSim;
let gateway: HttpPaymentGateway;
let sequence = 0;
/** The token of a card vaulted in this simulator (the line carries tokens only). */
let token: (cardNumber: string) => string;

test.before(async () => {
  sim = await startPaymentSim({ httpPort: 0, tcpPort: 0 });
  gateway = new HttpPaymentGateway({ baseUrl: sim.httpUrl, timeoutMs: 2_000 });
  token = await vaultCards(sim.simulator.vault, ['4242424242424241', '5555555555554444']);
});

test.after.always(async () => {
  await sim?.close();
});

function newRequest(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  sequence += 1;
  const orderId = `ord-http-${process.pid}-${sequence}`;
  return {
    orderId,
    attempt: 1,
    idempotencyKey: `authorize:${orderId}:1`,
    amountMinor: 12_900,
    currency: 'KRW',
    cardToken: token('4242424242424242'),
    ...overrides,
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
}

async function get(path: string) {
  const response = await fetch(`${sim.httpUrl}${path}`);
  return { status: response.status, body: (await response.json()) as any };
}

function authorizeBody(request: AuthorizationRequest) {
  const { idempotencyKey: _key, ...body } = request;
  return body;
}

test('health answers 200', async (t) => {
  t.is((await get('/health')).status, 200);
});

test('an approval returns the payment and is booked', async (t) => {
  const request = newRequest();
  const result = await gateway.authorize(request);
  if (result.outcome !== 'approved') return t.fail(`expected approval, got ${JSON.stringify(result)}`);
  t.regex(result.approvalCode, /^\d{8}$/);
  t.false(Number.isNaN(Date.parse(result.approvedAt)));

  const payment = await get(`/payments/${result.paymentId}`);
  t.is(payment.status, 200);
  t.like(payment.body, { orderId: request.orderId, status: 'authorized', amountMinor: 12_900, currency: 'KRW', cardLast4: '4242' });
});

test('the raw approval answer is 201 with the documented fields', async (t) => {
  const request = newRequest({ installmentMonths: 3 });
  const answer = await post('/payments/authorize', authorizeBody(request), { 'idempotency-key': request.idempotencyKey });
  t.is(answer.status, 201);
  t.deepEqual(Object.keys(answer.body).sort(), [
    'amountMinor',
    'approvalCode',
    'approvedAt',
    'attemptKey',
    'cardLast4',
    'currency',
    'installmentMonths',
    'orderId',
    'paymentId',
    'status',
  ]);
  t.is(answer.body.attemptKey, `${request.orderId}:1`);
  t.is(answer.body.installmentMonths, 3);
});

for (const card of testCards.filter((candidate) => candidate.decision.kind === 'decline')) {
  test(`test card ${card.number} (${card.behaviour}) is declined with its code`, async (t) => {
    const request = newRequest({ cardToken: token(card.number) });
    const raw = await post('/payments/authorize', authorizeBody(request), { 'idempotency-key': `raw-${request.idempotencyKey}` });
    t.is(raw.status, 402);
    t.is(raw.type, 'application/problem+json');
    t.like(raw.body, { type: 'card_declined', code: 'card_declined' });

    const result = await gateway.authorize(newRequest({ cardToken: token(card.number) }));
    t.like(result, { outcome: 'declined', declineCode: (card.decision as { declineCode: string }).declineCode });
  });
}

test('a Luhn-invalid number is an invalid-card decline; any other Luhn-valid number approves', async (t) => {
  t.like(await gateway.authorize(newRequest({ cardToken: token('4242424242424241') })), {
    outcome: 'declined',
    declineCode: 'invalid_card',
  });
  t.like(await gateway.authorize(newRequest({ cardToken: token('5555555555554444') })), { outcome: 'approved' });
});

test('the processing-error card is a retryable gateway error and books nothing', async (t) => {
  const request = newRequest({ cardToken: token('4000000000000119') });
  const error = await t.throwsAsync(gateway.authorize(request), { instanceOf: PaymentGatewayError });
  t.true(error?.retryable);
  t.deepEqual((await get(`/payments?orderId=${request.orderId}`)).body.payments, []);
});

test('same key and same body replays the first answer; a different body is a 409', async (t) => {
  const request = newRequest();
  const headers = { 'idempotency-key': request.idempotencyKey };
  const first = await post('/payments/authorize', authorizeBody(request), headers);
  const again = await post('/payments/authorize', authorizeBody(request), headers);
  t.is(first.status, 201);
  t.is(again.status, 201);
  t.deepEqual(again.body, first.body);

  const changed = await post('/payments/authorize', { ...authorizeBody(request), amountMinor: 1 }, headers);
  t.is(changed.status, 409);
  t.is(changed.body.type, 'idempotency_conflict');
  const error = await t.throwsAsync(gateway.authorize({ ...request, amountMinor: 1 }), { instanceOf: PaymentGatewayError });
  t.false(error?.retryable);

  const declineRequest = newRequest({ cardToken: token('4000000000000002') });
  const declineHeaders = { 'idempotency-key': declineRequest.idempotencyKey };
  const declined = await post('/payments/authorize', authorizeBody(declineRequest), declineHeaders);
  const declinedAgain = await post('/payments/authorize', authorizeBody(declineRequest), declineHeaders);
  t.is(declinedAgain.status, 402);
  t.deepEqual(declinedAgain.body, declined.body);
});

test('an order approved once gets its original approval under another key, never a second charge', async (t) => {
  const request = newRequest();
  const first = await gateway.authorize(request);
  const second = await gateway.authorize({ ...request, idempotencyKey: `${request.idempotencyKey}-retry` });
  t.deepEqual(second, first);
  t.is((await get(`/payments?orderId=${request.orderId}`)).body.payments.length, 1);

  const otherTerms = await post(
    '/payments/authorize',
    { ...authorizeBody(request), amountMinor: 1 },
    { 'idempotency-key': `${request.idempotencyKey}-other` },
  );
  t.is(otherTerms.status, 409);
  t.is(otherTerms.body.type, 'order_already_paid');
});

test('void and refund are idempotent and refuse what the state forbids', async (t) => {
  const voidable = await gateway.authorize(newRequest());
  const refundable = await gateway.authorize(newRequest());
  if (voidable.outcome !== 'approved' || refundable.outcome !== 'approved') return t.fail('setup approvals failed');

  const voided = await post(`/payments/${voidable.paymentId}/void`, { reason: 'customer cancelled' });
  t.like(voided, { status: 200, body: { status: 'voided', cancelReason: 'customer cancelled' } });
  t.is((await post(`/payments/${voidable.paymentId}/void`, '')).status, 200);
  await t.notThrowsAsync(gateway.void({ orderId: 'x', paymentId: voidable.paymentId, amountMinor: 12_900, reason: 'again' }));
  t.like(await post(`/payments/${voidable.paymentId}/refund`, {}), { status: 409, body: { type: 'invalid_state' } });

  t.like(await post(`/payments/${refundable.paymentId}/refund`, {}), { status: 200, body: { status: 'refunded' } });
  t.like(await post(`/payments/${refundable.paymentId}/refund`, {}), { status: 200, body: { status: 'refunded' } });
  t.like(await post(`/payments/${refundable.paymentId}/void`, {}), { status: 409 });
  const error = await t.throwsAsync(gateway.void({ orderId: 'x', paymentId: refundable.paymentId, amountMinor: 12_900, reason: 'late' }), {
    instanceOf: PaymentGatewayError,
  });
  t.false(error?.retryable);

  t.deepEqual(await gateway.void({ orderId: 'x', paymentId: 'pay_unknown', amountMinor: 1, reason: 'stale id' }), { voided: false });
  t.like(await post('/payments/pay_unknown/void', {}), { status: 404, body: { type: 'not_found' } });
  t.like(await post('/payments/pay_unknown/refund', {}), { status: 404 });
  t.is((await get('/payments/pay_unknown')).status, 404);
});

test('a void without a payment id cancels the order’s approval by order id, idempotently, and the order takes no approval after', async (t) => {
  const request = newRequest();
  const approved = await gateway.authorize(request);
  if (approved.outcome !== 'approved') return t.fail('setup approval failed');
  const cancel = { orderId: request.orderId, amountMinor: request.amountMinor, reason: 'saga cancelled' };
  t.deepEqual(await gateway.void(cancel), { voided: true, paymentId: approved.paymentId });
  t.deepEqual(await gateway.void(cancel), { voided: true, paymentId: approved.paymentId });
  t.like((await get(`/payments/${approved.paymentId}`)).body, { status: 'reversed' });
  const zombie = await post('/payments/authorize', authorizeBody({ ...request, attempt: 3 }), {
    'idempotency-key': `authorize:${request.orderId}:3`,
  });
  t.like(zombie, { status: 409, body: { type: 'order_voided' } });
  const refused = await t.throwsAsync(gateway.authorize({ ...request, attempt: 4, idempotencyKey: 'k4' }), {
    instanceOf: PaymentGatewayError,
  });
  t.false(refused?.retryable, 'an order voided by order id is never worth another attempt');

  // A void by order id before any approval arrived: the order is tombstoned all the same.
  const neverPaid = newRequest();
  t.deepEqual(await gateway.void({ ...cancel, orderId: neverPaid.orderId }), { voided: false });
  t.like(await post('/payments/authorize', authorizeBody(neverPaid), { 'idempotency-key': neverPaid.idempotencyKey }), {
    status: 409,
    body: { type: 'order_voided' },
  });
  t.deepEqual((await get(`/payments?orderId=${neverPaid.orderId}`)).body.payments, [], 'the zombie attempt charged nothing');

  const refunded = await gateway.authorize(newRequest());
  if (refunded.outcome !== 'approved') return t.fail('setup approval failed');
  const { orderId } = (await post(`/payments/${refunded.paymentId}/refund`, {})).body;
  const error = await t.throwsAsync(gateway.void({ ...cancel, orderId }), { instanceOf: PaymentGatewayError });
  t.false(error?.retryable);
});

test('bad input is a 400 problem naming the field', async (t) => {
  const request = newRequest();
  const headers = { 'idempotency-key': request.idempotencyKey };
  const cases: [unknown, string][] = [
    [{ ...authorizeBody(request), amountMinor: 1.5 }, '/amountMinor'],
    [{ ...authorizeBody(request), amountMinor: -1 }, '/amountMinor'],
    [{ ...authorizeBody(request), currency: 'USD' }, '/currency'],
    [{ ...authorizeBody(request), cardToken: '4242424242424242' }, '/cardToken'],
    [{ ...authorizeBody(request), orderId: '' }, '/orderId'],
    [{ ...authorizeBody(request), installmentMonths: 99 }, '/installmentMonths'],
  ];
  for (const [body, pointer] of cases) {
    const answer = await post('/payments/authorize', body, headers);
    t.is(answer.status, 400, pointer);
    t.is(answer.type, 'application/problem+json');
    t.true(
      answer.body.errors.some((error: { pointer: string }) => error.pointer === pointer),
      pointer,
    );
  }
  t.like(await post('/payments/authorize', '{not json', headers), { status: 400, body: { type: 'validation_error' } });
  const missingKey = await post('/payments/authorize', authorizeBody(request));
  t.like(missingKey, { status: 400, body: { header: 'Idempotency-Key' } });
  const longKey = await post('/payments/authorize', authorizeBody(request), { 'idempotency-key': 'k'.repeat(256) });
  t.is(longKey.status, 400);
  t.is((await get('/payments')).status, 400);
  // Nothing above was booked, and the key is still free.
  t.is((await post('/payments/authorize', authorizeBody(request), headers)).status, 201);
});

test.serial('the scenario API sets, shows and resets scenarios per line', async (t) => {
  const put = async (channel: string, body: unknown) =>
    fetch(`${sim.httpUrl}/admin/scenario/${channel}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  t.is((await put('http', { latencyMs: { distribution: 'uniform', min: 0, max: 2 }, declineRate: 0 })).status, 200);
  t.is((await put('tcp', { latencyMs: { distribution: 'normal', mean: 1, stddev: 0.5 }, errorRate: 0.5 })).status, 200);
  t.is((await put('smoke-signals', {})).status, 400);
  t.is((await put('http', { errorRate: 2 })).status, 400);
  t.is((await put('http', { latencyMs: { distribution: 'uniform', min: 5, max: 1 } })).status, 400);
  const shown = await get('/admin/scenario');
  t.like(shown.body, { http: { latencyMs: { distribution: 'uniform', min: 0, max: 2 } }, tcp: { errorRate: 0.5 } });
  const reset = await fetch(`${sim.httpUrl}/admin/scenario`, { method: 'DELETE' });
  t.like(await reset.json(), { http: { errorRate: 0, latencyMs: 0 }, tcp: { errorRate: 0 } });
});

test.serial('errorRate gives retryable errors that are not stored under the key', async (t) => {
  const request = newRequest();
  sim.simulator.scenarios.set('http', { latencyMs: 0, errorRate: 1, declineRate: 0, timeoutRate: 0 });
  try {
    const error = await t.throwsAsync(gateway.authorize(request), { instanceOf: PaymentGatewayError });
    t.true(error?.retryable);
  } finally {
    sim.simulator.scenarios.reset();
  }
  t.like(await gateway.authorize(request), { outcome: 'approved' });
});

test.serial('declineRate declines a good card', async (t) => {
  sim.simulator.scenarios.set('http', { latencyMs: 0, errorRate: 0, declineRate: 1, timeoutRate: 0 });
  try {
    t.like(await gateway.authorize(newRequest()), { outcome: 'declined', declineCode: 'generic_decline' });
  } finally {
    sim.simulator.scenarios.reset();
  }
});

test.serial(
  'a timeout leaves no approval: the client reverses the attempt, a new attempt authorizes afresh, the old one is refused',
  async (t) => {
    const impatient = new HttpPaymentGateway({ baseUrl: sim.httpUrl, timeoutMs: 300 });
    const request = newRequest();
    sim.simulator.scenarios.set('http', { latencyMs: 0, errorRate: 0, declineRate: 0, timeoutRate: 1 });
    try {
      const error = await t.throwsAsync(impatient.authorize(request), { instanceOf: PaymentGatewayError });
      t.true(error?.retryable);
    } finally {
      sim.simulator.scenarios.reset();
    }
    const { payments } = (await get(`/payments?orderId=${request.orderId}`)).body as { payments: { status: string }[] };
    t.deepEqual(
      payments.map((payment) => payment.status),
      ['reversed'],
      'the held approval was booked, then reversed',
    );

    const sameAttempt = await t.throwsAsync(impatient.authorize(request), { instanceOf: PaymentGatewayError });
    t.true(sameAttempt?.retryable, 'a reversed attempt is refused (attempt_reversed), and a new attempt may pass');
    t.regex(sameAttempt?.message ?? '', /reversed before this request arrived/);

    const retried = await impatient.authorize({ ...request, attempt: 2, idempotencyKey: `authorize:${request.orderId}:2` });
    t.like(retried, { outcome: 'approved' });
    const after = (await get(`/payments?orderId=${request.orderId}`)).body.payments as { status: string; attemptKey: string }[];
    t.deepEqual(
      after.map((payment) => [payment.status, payment.attemptKey]),
      [
        ['reversed', `${request.orderId}:1`],
        ['authorized', `${request.orderId}:2`],
      ],
    );
  },
);

test('a reversal that arrives before its original leaves a tombstone: the original is refused, never approved', async (t) => {
  const request = newRequest();
  const reversal = await post('/payments/reverse', { orderId: request.orderId, attempt: 1, reason: 'timed out' });
  t.like(reversal, { status: 200, body: { attemptKey: `${request.orderId}:1`, reversed: false, payment: null } });
  const late = await post('/payments/authorize', authorizeBody(request), { 'idempotency-key': request.idempotencyKey });
  t.like(late, { status: 409, body: { type: 'attempt_reversed', attemptKey: `${request.orderId}:1` } });
  t.deepEqual((await get(`/payments?orderId=${request.orderId}`)).body.payments, []);
  // Attempt 2 is not touched by attempt 1's tombstone.
  t.like(await gateway.authorize({ ...request, attempt: 2, idempotencyKey: `authorize:${request.orderId}:2` }), { outcome: 'approved' });
});

test('a late reversal of attempt 1 does not touch the approval attempt 2 obtained', async (t) => {
  const request = newRequest();
  const second = await gateway.authorize({ ...request, attempt: 2, idempotencyKey: `authorize:${request.orderId}:2` });
  if (second.outcome !== 'approved') return t.fail('attempt 2 was not approved');
  t.deepEqual(await gateway.reverseAttempt({ orderId: request.orderId, attempt: 1, amountMinor: request.amountMinor, reason: 'late' }), {
    voided: false,
  });
  t.like((await get(`/payments/${second.paymentId}`)).body, { status: 'authorized', attemptKey: `${request.orderId}:2` });
  // The reversal of attempt 2 itself does cancel it.
  t.deepEqual(await gateway.reverseAttempt({ orderId: request.orderId, attempt: 2, amountMinor: request.amountMinor, reason: 'x' }), {
    voided: true,
    paymentId: second.paymentId,
  });
});

test('an attempt is not handed the approval another attempt holds: that one must be reversed first', async (t) => {
  const request = newRequest();
  t.like(await gateway.authorize(request), { outcome: 'approved' });
  const other = await post('/payments/authorize', authorizeBody({ ...request, attempt: 2 }), {
    'idempotency-key': `authorize:${request.orderId}:2`,
  });
  t.like(other, { status: 409, body: { type: 'order_already_paid' } });
  t.regex(other.body.detail, /reverse that attempt first/);
});

test('GET /admin/ledger pages through every payment in booking order', async (t) => {
  const orders = [randomUUID(), randomUUID(), randomUUID()].map((orderId) =>
    newRequest({ orderId, idempotencyKey: `authorize:${orderId}:1` }),
  );
  const paid = [];
  for (const request of orders) paid.push(await gateway.authorize(request));
  const seen: {
    paymentId: string;
    orderId: string;
    status: string;
    amountMinor: number;
    currency: string;
    channel: string;
    attemptKey: string;
  }[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages += 1) {
    const page = await get(`/admin/ledger?limit=2${after ? `&after=${after}` : ''}`);
    t.is(page.status, 200);
    t.true(page.body.payments.length <= 2);
    seen.push(...page.body.payments);
    after = page.body.next;
    if (!after) break;
  }
  t.is(new Set(seen.map((payment) => payment.paymentId)).size, seen.length, 'no payment twice');
  const ours = seen.filter((payment) => orders.some((request) => request.orderId === payment.orderId));
  t.deepEqual(
    ours.map((payment) => payment.orderId),
    orders.map((request) => request.orderId),
    'in booking order',
  );
  t.like(ours[0], { status: 'authorized', amountMinor: 12_900, currency: 'KRW', channel: 'http', attemptKey: `${orders[0]!.orderId}:1` });
  const scoped = await get(`/admin/ledger?orderId=${orders[1]!.orderId}`);
  t.deepEqual(
    scoped.body.payments.map((payment: { orderId: string }) => payment.orderId),
    [orders[1]!.orderId],
  );
  t.like(await get('/admin/ledger?limit=0'), { status: 400 });
  t.like(await get('/admin/ledger?after=abc'), { status: 400 });
});

test.serial('latency from the scenario is applied', async (t) => {
  sim.simulator.scenarios.set('http', { latencyMs: 120, errorRate: 0, declineRate: 0, timeoutRate: 0 });
  try {
    const started = performance.now();
    t.like(await gateway.authorize(newRequest()), { outcome: 'approved' });
    t.true(performance.now() - started >= 110);
  } finally {
    sim.simulator.scenarios.reset();
  }
});

test('an unreachable gateway is a retryable error', async (t) => {
  const nowhere = new HttpPaymentGateway({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 });
  const error = await t.throwsAsync(nowhere.authorize(newRequest()), { instanceOf: PaymentGatewayError });
  t.true(error?.retryable);
});
