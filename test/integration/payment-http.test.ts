/**
 * The HTTP payment line end to end: HttpPaymentGateway against the simulator's API, in process on
 * a random port.
 */
import test from 'ava';
import { HttpPaymentGateway } from '../../activities/payment/http-gateway.js';
import { PaymentGatewayError, type AuthorizationRequest } from '../../activities/payment/gateway.js';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { testCards } from '../../payment-sim/test-cards.js';

let sim: RunningPaymentSim;
let gateway: HttpPaymentGateway;
let sequence = 0;

test.before(async () => {
  sim = await startPaymentSim({ httpPort: 0, tcpPort: 0 });
  gateway = new HttpPaymentGateway({ baseUrl: sim.httpUrl, timeoutMs: 2_000 });
});

test.after.always(async () => {
  await sim?.close();
});

function newRequest(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  sequence += 1;
  const orderId = `ord-http-${process.pid}-${sequence}`;
  return {
    orderId,
    idempotencyKey: `authorize:${orderId}`,
    amountMinor: 12_900,
    currency: 'KRW',
    cardNumber: '4242424242424242',
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
    'amountMinor', 'approvalCode', 'approvedAt', 'cardLast4', 'currency', 'installmentMonths', 'orderId', 'paymentId', 'status',
  ]);
  t.is(answer.body.installmentMonths, 3);
});

for (const card of testCards.filter((candidate) => candidate.decision.kind === 'decline')) {
  test(`test card ${card.number} (${card.behaviour}) is declined with its code`, async (t) => {
    const request = newRequest({ cardNumber: card.number });
    const raw = await post('/payments/authorize', authorizeBody(request), { 'idempotency-key': `raw-${request.idempotencyKey}` });
    t.is(raw.status, 402);
    t.is(raw.type, 'application/problem+json');
    t.like(raw.body, { type: 'card_declined', code: 'card_declined' });

    const result = await gateway.authorize(newRequest({ cardNumber: card.number }));
    t.like(result, { outcome: 'declined', declineCode: (card.decision as { declineCode: string }).declineCode });
  });
}

test('a Luhn-invalid number is an invalid-card decline; any other Luhn-valid number approves', async (t) => {
  t.like(await gateway.authorize(newRequest({ cardNumber: '4242424242424241' })), { outcome: 'declined', declineCode: 'invalid_card' });
  t.like(await gateway.authorize(newRequest({ cardNumber: '5555555555554444' })), { outcome: 'approved' });
});

test('the processing-error card is a retryable gateway error and books nothing', async (t) => {
  const request = newRequest({ cardNumber: '4000000000000119' });
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

  const declineRequest = newRequest({ cardNumber: '4000000000000002' });
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
  const error = await t.throwsAsync(
    gateway.void({ orderId: 'x', paymentId: refundable.paymentId, amountMinor: 12_900, reason: 'late' }),
    { instanceOf: PaymentGatewayError },
  );
  t.false(error?.retryable);

  t.deepEqual(await gateway.void({ orderId: 'x', paymentId: 'pay_unknown', amountMinor: 1, reason: 'stale id' }), { voided: false });
  t.like(await post('/payments/pay_unknown/void', {}), { status: 404, body: { type: 'not_found' } });
  t.like(await post('/payments/pay_unknown/refund', {}), { status: 404 });
  t.is((await get('/payments/pay_unknown')).status, 404);
});

test('a void without a payment id cancels the order’s approval by order id (망취소), idempotently', async (t) => {
  const request = newRequest();
  const approved = await gateway.authorize(request);
  if (approved.outcome !== 'approved') return t.fail('setup approval failed');
  const cancel = { orderId: request.orderId, amountMinor: request.amountMinor, reason: 'saga cancelled' };
  t.deepEqual(await gateway.void(cancel), { voided: true, paymentId: approved.paymentId });
  t.deepEqual(await gateway.void(cancel), { voided: true, paymentId: approved.paymentId });
  t.like((await get(`/payments/${approved.paymentId}`)).body, { status: 'reversed' });
  t.deepEqual(await gateway.void({ ...cancel, orderId: `${request.orderId}-never-paid` }), { voided: false });

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
    [{ ...authorizeBody(request), cardNumber: '4242-4242' }, '/cardNumber'],
    [{ ...authorizeBody(request), orderId: '' }, '/orderId'],
    [{ ...authorizeBody(request), installmentMonths: 99 }, '/installmentMonths'],
  ];
  for (const [body, pointer] of cases) {
    const answer = await post('/payments/authorize', body, headers);
    t.is(answer.status, 400, pointer);
    t.is(answer.type, 'application/problem+json');
    t.true(answer.body.errors.some((error: { pointer: string }) => error.pointer === pointer), pointer);
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
    fetch(`${sim.httpUrl}/admin/scenario/${channel}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
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

test.serial('a timeout leaves no approval: the client cancels by order id, and a retry authorizes afresh', async (t) => {
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

  const retried = await impatient.authorize(request);
  t.like(retried, { outcome: 'approved' });
  const after = (await get(`/payments?orderId=${request.orderId}`)).body.payments as { status: string }[];
  t.deepEqual(after.map((payment) => payment.status), ['reversed', 'authorized']);
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
