/**
 * The TCP 전문 line end to end: TcpPaymentGateway and raw sockets against the simulator's telegram
 * server, in process on random ports. Spans go to an in-memory exporter, so the test can check that
 * the server's span is the child of the client's through the telegram's traceparent field.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { metrics as metricsApi, SpanKind } from '@opentelemetry/api';
import { metrics, node, tracing } from '@opentelemetry/sdk-node';
import test from 'ava';
import fc from 'fast-check';
import { PaymentGatewayError, type AuthorizationRequest } from '../../activities/payment/gateway.js';
import { TcpPaymentGateway } from '../../activities/payment/tcp/gateway.js';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { testCards } from '../../platform/contracts/demo-triggers.js';
import { telegramCodec } from '../../platform/contracts/telegram/codec.js';
import { TelegramFramer } from '../../platform/contracts/telegram/framer.js';
import { fieldNamed, LENGTH_PREFIX_BYTES, type Telegram } from '../../platform/contracts/telegram/layout.js';
import { blankTelegram } from '../../platform/contracts/telegram/messages.js';
import { vaultCards } from '../support/vaulted-cards.js';

const spans = new tracing.InMemorySpanExporter();
const tracerProvider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(spans)] });
tracerProvider.register();
const metricReader = new (class extends metrics.MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
})();
metricsApi.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [metricReader] }));

let sim: RunningPaymentSim;
let gateway: TcpPaymentGateway;
/** The token of a card vaulted in this simulator (the 전문 carries tokens only). */
let token: (cardNumber: string) => string;

test.before(async () => {
  sim = await startPaymentSim({ httpPort: 0, tcpPort: 0 });
  gateway = new TcpPaymentGateway({ address: sim.tcpAddress, poolSize: 2, timeoutMs: 2_000 });
  token = await vaultCards(sim.simulator.vault);
});

test.after.always(async () => {
  await gateway?.close();
  await sim?.close();
});

function newRequest(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  const orderId = randomUUID();
  return {
    orderId,
    attempt: 1,
    idempotencyKey: `authorize:${orderId}:1`,
    amountMinor: 45_000,
    currency: 'KRW',
    cardToken: token('4242424242424242'),
    ...overrides,
  };
}

/** The approved test card's token in a simulator of a test's own (each has its own vault). */
async function approvedCardIn(simulator: RunningPaymentSim): Promise<string> {
  return (await simulator.simulator.vault.tokenize('4242424242424242')).cardToken;
}

/** Polls `check` until it holds; fails the test with `what` at the deadline. No fixed sleeps. */
async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A raw client: writes bytes as given, collects decoded answers, notices when the server closes. */
class Probe {
  readonly answers: Telegram[] = [];
  readonly socket: Socket;
  closed = false;
  private readonly framer = new TelegramFramer(1024);

  constructor(address: string) {
    const [host, port] = address.split(':');
    this.socket = connect({ host, port: Number(port) });
    this.socket.on('data', (chunk: Buffer) => {
      for (const event of this.framer.push(chunk)) {
        if (event.kind !== 'frame') throw new Error(event.error.message);
        const decoded = telegramCodec.decodePayload(event.payload);
        if (!decoded.ok) throw new Error(decoded.error.message);
        this.answers.push(decoded.telegram);
      }
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
    });
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  answerTo(traceNumber: number): Promise<Telegram> {
    return eventually(`an answer to trace number ${traceNumber}`, () => this.answers.find((answer) => answer.traceNumber === traceNumber));
  }

  close(): void {
    this.socket.destroy();
  }
}

function frame(fields: Partial<Telegram> & Pick<Telegram, 'messageType' | 'traceNumber'>): Buffer {
  const encoded = telegramCodec.encode(blankTelegram(fields));
  if (!encoded.ok) throw new Error(encoded.error.message);
  return encoded.frame;
}

function approvalFrame(traceNumber: number, orderId = randomUUID(), cardToken = token('4242424242424242')): Buffer {
  return frame({ messageType: '0200', traceNumber, orderId, amount: 1_000, currency: 'KRW', cardToken });
}

test('an approval over TCP is booked on the tcp line and reported with its payment id', async (t) => {
  const request = newRequest({ installmentMonths: 3 });
  const result = await gateway.authorize(request);
  if (result.outcome !== 'approved') return t.fail(JSON.stringify(result));
  t.regex(result.approvalCode, /^\d{8}$/);
  const payment = sim.simulator.ledger.find(result.paymentId);
  t.like(payment, { orderId: request.orderId, status: 'authorized', channel: 'tcp', amountMinor: 45_000, installmentMonths: 3 });
  t.true(Math.abs(Date.parse(result.approvedAt) - Date.parse(payment!.approvedAt)) < 1_000, 'approval time survives the KST fields');
});

for (const card of testCards.filter((candidate) => candidate.decision.kind === 'decline')) {
  test(`test card ${card.number} (${card.behaviour}) is declined over TCP with the same code as over HTTP`, async (t) => {
    const result = await gateway.authorize(newRequest({ cardToken: token(card.number) }));
    t.like(result, { outcome: 'declined', declineCode: (card.decision as { declineCode: string }).declineCode });
  });
}

test('the processing-error card is a retryable error (0096) and books nothing', async (t) => {
  const request = newRequest({ cardToken: token('4000000000000119') });
  const error = await t.throwsAsync(gateway.authorize(request), { instanceOf: PaymentGatewayError });
  t.true(error?.retryable);
  t.regex(error?.message ?? '', /0096/);
  t.deepEqual(sim.simulator.ledger.paymentsOfOrder(request.orderId), []);
});

test('an approval repeated for the same order returns the original approval', async (t) => {
  const request = newRequest();
  const first = await gateway.authorize(request);
  const second = await gateway.authorize({ ...request, idempotencyKey: 'another key' });
  t.deepEqual(second, first);
  t.is(sim.simulator.ledger.paymentsOfOrder(request.orderId).length, 1);
  const otherAmount = await t.throwsAsync(gateway.authorize({ ...request, amountMinor: 1 }), { instanceOf: PaymentGatewayError });
  t.false(otherAmount?.retryable, '0094: the order holds an approval on other terms');
});

test('void by payment id and void by order id (0420), both idempotent; the order voided by id takes no approval after (0057)', async (t) => {
  const known = newRequest();
  const approved = await gateway.authorize(known);
  if (approved.outcome !== 'approved') return t.fail('setup approval failed');
  const byId = { orderId: known.orderId, paymentId: approved.paymentId, amountMinor: known.amountMinor, reason: 'shipment failed' };
  t.deepEqual(await gateway.void(byId), { voided: true, paymentId: approved.paymentId });
  t.deepEqual(await gateway.void(byId), { voided: true, paymentId: approved.paymentId });
  t.is(sim.simulator.ledger.find(approved.paymentId)?.status, 'voided');
  t.deepEqual(await gateway.void({ ...byId, paymentId: 'pay_0000000000000000' }), { voided: false });

  const unknown = newRequest();
  const lost = await gateway.authorize(unknown);
  if (lost.outcome !== 'approved') return t.fail('setup approval failed');
  const byOrder = { orderId: unknown.orderId, amountMinor: unknown.amountMinor, reason: 'saga cancelled' };
  t.deepEqual(await gateway.void(byOrder), { voided: true, paymentId: lost.paymentId });
  t.deepEqual(await gateway.void(byOrder), { voided: true, paymentId: lost.paymentId });
  t.is(sim.simulator.ledger.find(lost.paymentId)?.status, 'reversed');
  const zombie = await t.throwsAsync(gateway.authorize({ ...unknown, attempt: 2, idempotencyKey: 'zombie' }), {
    instanceOf: PaymentGatewayError,
  });
  t.regex(zombie?.message ?? '', /0057/);
  t.false(zombie?.retryable);

  // Voided by order id before any approval: a zombie attempt reaching the gateway afterwards is refused.
  const early = newRequest();
  t.deepEqual(await gateway.void({ ...byOrder, orderId: early.orderId }), { voided: false });
  await t.throwsAsync(gateway.authorize(early), { instanceOf: PaymentGatewayError, message: /0057/ });
  t.deepEqual(sim.simulator.ledger.paymentsOfOrder(early.orderId), []);

  const refunded = await gateway.authorize(newRequest());
  if (refunded.outcome !== 'approved') return t.fail('setup approval failed');
  sim.simulator.ledger.refund(refunded.paymentId, 'test');
  const error = await t.throwsAsync(
    gateway.void({
      orderId: sim.simulator.ledger.find(refunded.paymentId)!.orderId,
      paymentId: refunded.paymentId,
      amountMinor: 1,
      reason: 'late',
    }),
    { instanceOf: PaymentGatewayError },
  );
  t.false(error?.retryable, '0012: a refunded payment cannot be voided');
});

test('requests that cannot be written in a telegram are refused before sending, not retried', async (t) => {
  const error = await t.throwsAsync(gateway.authorize(newRequest({ orderId: 'x'.repeat(37) })), { instanceOf: PaymentGatewayError });
  t.false(error?.retryable);
});

test.serial('many requests in flight on one connection are matched by trace number though answered out of order', async (t) => {
  const single = new TcpPaymentGateway({ address: sim.tcpAddress, poolSize: 1, timeoutMs: 2_000 });
  sim.simulator.scenarios.set('tcp', {
    latencyMs: { distribution: 'uniform', min: 0, max: 60 },
    errorRate: 0,
    declineRate: 0,
    timeoutRate: 0,
  });
  try {
    const requests = Array.from({ length: 40 }, () => newRequest());
    const finished: string[] = [];
    const results = await Promise.all(
      requests.map(async (request) => {
        const result = await single.authorize(request);
        finished.push(request.orderId);
        return result;
      }),
    );
    t.is(sim.tcp.connections() >= 1, true);
    for (const [index, result] of results.entries()) {
      if (result.outcome !== 'approved') return t.fail(JSON.stringify(result));
      t.is(sim.simulator.ledger.find(result.paymentId)?.orderId, requests[index]!.orderId, 'each answer reached its own request');
    }
    t.notDeepEqual(
      finished,
      requests.map((request) => request.orderId),
      'answers overtook each other',
    );
  } finally {
    sim.simulator.scenarios.reset();
    await single.close();
  }
});

test('frames split across writes and frames coalesced into one write are all answered', async (t) => {
  const probe = new Probe(sim.tcpAddress);
  try {
    const stream = Buffer.concat([approvalFrame(1), frame({ messageType: '0800', traceNumber: 2 }), approvalFrame(3), approvalFrame(4)]);
    // Byte by byte for the first frame and a half, then everything left in one write.
    const cut = Math.floor(stream.length * 0.4);
    for (let index = 0; index < cut; index += 1) probe.write(stream.subarray(index, index + 1));
    probe.write(stream.subarray(cut));
    const answers = await Promise.all([1, 2, 3, 4].map((traceNumber) => probe.answerTo(traceNumber)));
    t.deepEqual(
      answers.map((answer) => answer.messageType),
      ['0210', '0810', '0210', '0210'],
    );
    t.true(answers.every((answer) => answer.responseCode === '0000'));
    t.is(answers[0]!.cardToken, token('4242424242424242'), 'the answer echoes the token: the line never carries a card number');
  } finally {
    probe.close();
  }
});

test('malformed telegrams with a readable trace number get a 0030 answer and the connection carries on', async (t) => {
  const probe = new Probe(sim.tcpAddress);
  try {
    const badAmount = Buffer.from(approvalFrame(10));
    badAmount.write('12AB', LENGTH_PREFIX_BYTES + fieldNamed('amount').offset, 'latin1');
    const unknownType = Buffer.from(approvalFrame(11));
    unknownType.write('0300', LENGTH_PREFIX_BYTES + fieldNamed('messageType').offset, 'latin1');
    const badEucKr = Buffer.from(approvalFrame(12));
    badEucKr.fill(
      0xff,
      LENGTH_PREFIX_BYTES + fieldNamed('merchantName').offset,
      LENGTH_PREFIX_BYTES + fieldNamed('merchantName').offset + 2,
    );
    const tooShort = Buffer.concat([Buffer.from('0100'), approvalFrame(13).subarray(LENGTH_PREFIX_BYTES, LENGTH_PREFIX_BYTES + 100)]);
    const aResponse = frame({ messageType: '0210', traceNumber: 14 });
    const notKrw = frame({
      messageType: '0200',
      traceNumber: 15,
      orderId: randomUUID(),
      amount: 1,
      currency: 'USD',
      cardToken: token('4242424242424242'),
    });

    probe.write(Buffer.concat([badAmount, unknownType, badEucKr, tooShort, aResponse, notKrw]));
    t.like(await probe.answerTo(10), { messageType: '0210', responseCode: '0030' });
    t.like(await probe.answerTo(11), { messageType: '9999', responseCode: '0030' });
    t.like(await probe.answerTo(12), { messageType: '0210', responseCode: '0030' });
    t.like(await probe.answerTo(13), { messageType: '0210', responseCode: '0030' });
    t.like(await probe.answerTo(14), { messageType: '9999', responseCode: '0030' });
    t.like(await probe.answerTo(15), { messageType: '0210', responseCode: '0030' });

    probe.write(approvalFrame(16));
    t.like(await probe.answerTo(16), { messageType: '0210', responseCode: '0000' });
    t.false(probe.closed);
  } finally {
    probe.close();
  }
});

test.serial('a trace number already in flight on the connection is answered 0094', async (t) => {
  sim.simulator.scenarios.set('tcp', { latencyMs: 200, errorRate: 0, declineRate: 0, timeoutRate: 0 });
  const probe = new Probe(sim.tcpAddress);
  try {
    probe.write(Buffer.concat([approvalFrame(20), approvalFrame(20)]));
    await eventually('both answers', () => probe.answers.length === 2);
    t.deepEqual(
      probe.answers.map((answer) => answer.responseCode),
      ['0094', '0000'],
    );
  } finally {
    sim.simulator.scenarios.reset();
    probe.close();
  }
});

for (const [name, bytes] of [
  ['a non-digit length prefix', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
  ['a frame over the size limit', Buffer.from('9000')],
  ['a frame too short to hold a trace number', Buffer.from('0005hello')],
  ['binary garbage', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01])],
] as const) {
  test(`${name} closes the connection cleanly and the server keeps serving`, async (t) => {
    const probe = new Probe(sim.tcpAddress);
    probe.write(bytes);
    await eventually('the server to close the connection', () => probe.closed);
    t.deepEqual(probe.answers, []);
    t.like(await gateway.authorize(newRequest()), { outcome: 'approved' });
  });
}

test('property: random bytes on fresh connections never crash or hang the server', async (t) => {
  const garbage = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 600 }), { numRuns: 40, seed: 20_250_301 });
  for (const bytes of garbage) {
    const probe = new Probe(sim.tcpAddress);
    probe.socket.end(Buffer.from(bytes));
    // Closing our side ends every exchange: the server answers what it could read, then closes too.
    await eventually('the server to close after our end', () => probe.closed);
  }
  const probe = new Probe(sim.tcpAddress);
  try {
    probe.write(frame({ messageType: '0800', traceNumber: 99 }));
    t.like(await probe.answerTo(99), { messageType: '0810', responseCode: '0000' });
  } finally {
    probe.close();
  }
});

test('many connections at once are each served', async (t) => {
  const probes = Array.from({ length: 25 }, () => new Probe(sim.tcpAddress));
  try {
    probes.forEach((probe, index) => probe.write(frame({ messageType: '0800', traceNumber: 100 + index })));
    const answers = await Promise.all(probes.map((probe, index) => probe.answerTo(100 + index)));
    t.true(answers.every((answer) => answer.messageType === '0810' && answer.responseCode === '0000'));
  } finally {
    probes.forEach((probe) => probe.close());
  }
});

test.serial('a timeout leaves no approval: the client reverses the attempt (0420), a new attempt authorizes afresh', async (t) => {
  const impatient = new TcpPaymentGateway({ address: sim.tcpAddress, poolSize: 1, timeoutMs: 300 });
  const request = newRequest();
  sim.simulator.scenarios.set('tcp', { latencyMs: 0, errorRate: 0, declineRate: 0, timeoutRate: 1 });
  try {
    const error = await t.throwsAsync(impatient.authorize(request), { instanceOf: PaymentGatewayError });
    t.true(error?.retryable);
    t.regex(error?.message ?? '', /reversed/);
    t.deepEqual(
      sim.simulator.ledger.paymentsOfOrder(request.orderId).map((payment) => payment.status),
      ['reversed'],
      'the held approval was booked, then reversed',
    );
    sim.simulator.scenarios.reset();
    const again = await t.throwsAsync(impatient.authorize(request), { instanceOf: PaymentGatewayError, message: /0058/ });
    t.true(again?.retryable, 'the reversed attempt is refused, retryably');
    t.like(await impatient.authorize({ ...request, attempt: 2 }), { outcome: 'approved' });
    t.deepEqual(
      sim.simulator.ledger.paymentsOfOrder(request.orderId).map((payment) => payment.status),
      ['reversed', 'authorized'],
    );
  } finally {
    sim.simulator.scenarios.reset();
    await impatient.close();
  }
});

test('an 0420 that overtakes its 0200 leaves a tombstone: the 0200 of that attempt is refused 0058, never approved', async (t) => {
  const probe = new Probe(sim.tcpAddress);
  try {
    const orderId = randomUUID();
    probe.write(frame({ messageType: '0420', traceNumber: 11, orderId, attemptNumber: 1, amount: 1_000 }));
    t.like(await probe.answerTo(11), { messageType: '0430', responseCode: '0000', transactionId: '' });
    probe.write(
      frame({
        messageType: '0200',
        traceNumber: 12,
        orderId,
        attemptNumber: 1,
        amount: 1_000,
        currency: 'KRW',
        cardToken: token('4242424242424242'),
      }),
    );
    t.like(await probe.answerTo(12), { messageType: '0210', responseCode: '0058', approvalNumber: '', transactionId: '' });
    t.deepEqual(sim.simulator.ledger.paymentsOfOrder(orderId), []);
    // Only that attempt is refused.
    probe.write(
      frame({
        messageType: '0200',
        traceNumber: 13,
        orderId,
        attemptNumber: 2,
        amount: 1_000,
        currency: 'KRW',
        cardToken: token('4242424242424242'),
      }),
    );
    t.like(await probe.answerTo(13), { responseCode: '0000' });
  } finally {
    probe.close();
  }
});

test('a late 0420 for attempt 1 leaves the approval of attempt 2 standing', async (t) => {
  const request = newRequest();
  const second = await gateway.authorize({ ...request, attempt: 2 });
  if (second.outcome !== 'approved') return t.fail('attempt 2 was not approved');
  t.deepEqual(await gateway.reverseAttempt({ orderId: request.orderId, attempt: 1, amountMinor: request.amountMinor, reason: 'late' }), {
    voided: false,
  });
  t.like(sim.simulator.ledger.find(second.paymentId), { status: 'authorized', attemptKey: `${request.orderId}:2` });
  // Attempt 1's 0200, arriving even later still, is refused rather than handed attempt 2's approval.
  await t.throwsAsync(gateway.authorize(request), { instanceOf: PaymentGatewayError, message: /0058/ });
  t.is(sim.simulator.ledger.paymentsOfOrder(request.orderId).length, 1);
});

test.serial('scenarios steer the tcp line: errors are retryable, declines are declines', async (t) => {
  try {
    sim.simulator.scenarios.set('tcp', { latencyMs: 0, errorRate: 1, declineRate: 0, timeoutRate: 0 });
    const error = await t.throwsAsync(gateway.authorize(newRequest()), { instanceOf: PaymentGatewayError });
    t.true(error?.retryable);
    sim.simulator.scenarios.set('tcp', { latencyMs: 0, errorRate: 0, declineRate: 1, timeoutRate: 0 });
    t.like(await gateway.authorize(newRequest()), { outcome: 'declined', declineCode: 'generic_decline' });
  } finally {
    sim.simulator.scenarios.reset();
  }
});

test('the CLIENT span carries the RPC attributes and the SERVER span is its child through the telegram', async (t) => {
  const request = newRequest();
  await gateway.authorize(request);
  const ofOrder = () => spans.getFinishedSpans().filter((span) => span.attributes['ordersaga.order_id'] === request.orderId);
  const [client, server] = await eventually('both spans', () => {
    const found = ofOrder();
    const client = found.find((span) => span.kind === SpanKind.CLIENT);
    const server = found.find((span) => span.kind === SpanKind.SERVER);
    return client && server ? ([client, server] as const) : undefined;
  });
  t.is(client.name, 'PaymentTelegram/Approve');
  const [host, port] = sim.tcpAddress.split(':');
  t.like(client.attributes, {
    'rpc.system': 'ordersaga-telegram',
    'rpc.method': 'Approve',
    'server.address': host,
    'server.port': Number(port),
    'network.transport': 'tcp',
    'peer.service': 'payment-sim',
    'service.peer.name': 'payment-sim',
    'ordersaga.telegram.response_code': '0000',
  });
  t.is(server.spanContext().traceId, client.spanContext().traceId);
  t.is(server.parentSpanId, client.spanContext().spanId);
});

test('a reversal after a timeout is a child span of the authorization', async (t) => {
  // A peer that reads and never answers: the approval times out whatever the simulator's scenario.
  const silent = await new Promise<Server>((resolve) => {
    const server = createServer((socket) => socket.on('data', () => undefined));
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
  const silentGateway = new TcpPaymentGateway({
    address: `127.0.0.1:${(silent.address() as AddressInfo).port}`,
    poolSize: 1,
    timeoutMs: 200,
  });
  const request = newRequest();
  try {
    await t.throwsAsync(silentGateway.authorize(request), { instanceOf: PaymentGatewayError });
    const found = await eventually('approve and reverse spans', () => {
      const ofOrder = spans.getFinishedSpans().filter((span) => span.attributes['ordersaga.order_id'] === request.orderId);
      return ofOrder.length >= 2 ? ofOrder : undefined;
    });
    const approve = found.find((span) => span.name === 'PaymentTelegram/Approve');
    const reverse = found.find((span) => span.name === 'PaymentTelegram/Reverse');
    t.truthy(approve && reverse);
    t.is(reverse?.parentSpanId, approve?.spanContext().spanId);
  } finally {
    await silentGateway.close();
    silent.close();
  }
});

test.serial('payment.authorized counts by channel and outcome', async (t) => {
  await gateway.authorize(newRequest());
  await gateway.authorize(newRequest({ cardToken: token('4000000000000002') }));
  const { resourceMetrics } = await metricReader.collect();
  const counter = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === 'payment.authorized');
  const points = (counter?.dataPoints ?? []) as { attributes: Record<string, unknown>; value: number }[];
  const count = (outcome: string) =>
    points.find((point) => point.attributes.channel === 'tcp' && point.attributes.outcome === outcome)?.value ?? 0;
  t.true(count('approved') >= 1);
  t.true(count('declined') >= 1);
});

test('idle connections send echoes and stay open past the server’s idle timeout', async (t) => {
  const strict = await startPaymentSim({ httpPort: 0, tcpPort: 0, tcp: { idleTimeoutMs: 300 } });
  const chatty = new TcpPaymentGateway({ address: strict.tcpAddress, poolSize: 1, echoIntervalMs: 50, timeoutMs: 1_000 });
  // Another simulator, another vault: the card is vaulted in it.
  const cardToken = await approvedCardIn(strict);
  try {
    await chatty.authorize(newRequest({ cardToken }));
    const echoesBefore = spans
      .getFinishedSpans()
      .filter((span) => span.name === 'PaymentTelegram/Echo' && span.kind === SpanKind.SERVER).length;
    // Ten echoes at 50 ms apart span more than the 300 ms idle timeout.
    await eventually(
      'ten echoes answered',
      () =>
        spans.getFinishedSpans().filter((span) => span.name === 'PaymentTelegram/Echo' && span.kind === SpanKind.SERVER).length >=
        echoesBefore + 10,
    );
    t.is(strict.tcp.connections(), 1, 'the same connection is still open');
    t.like(await chatty.authorize(newRequest({ cardToken })), { outcome: 'approved' });
  } finally {
    await chatty.close();
    await strict.close();
  }
});

test('the server closes a connection that stays silent past its idle timeout', async (t) => {
  const strict = await startPaymentSim({ httpPort: 0, tcpPort: 0, tcp: { idleTimeoutMs: 150 } });
  const probe = new Probe(strict.tcpAddress);
  try {
    await eventually('the idle connection to be closed', () => probe.closed);
    t.pass();
  } finally {
    probe.close();
    await strict.close();
  }
});

test('the client reconnects after the gateway restarts', async (t) => {
  let restartable = await startPaymentSim({ httpPort: 0, tcpPort: 0 });
  const port = restartable.tcp.port;
  const client = new TcpPaymentGateway({
    address: restartable.tcpAddress,
    poolSize: 2,
    timeoutMs: 300,
    reconnectInitialDelayMs: 20,
    reconnectMaxDelayMs: 100,
  });
  try {
    t.like(await client.authorize(newRequest({ cardToken: await approvedCardIn(restartable) })), { outcome: 'approved' });
    await restartable.close();
    const down = await t.throwsAsync(client.authorize(newRequest()), { instanceOf: PaymentGatewayError });
    t.true(down?.retryable);
    // Without a database its vault starts empty, like its ledger: the card is vaulted again.
    restartable = await startPaymentSim({ httpPort: 0, tcpPort: port });
    const cardToken = await approvedCardIn(restartable);
    const result = await eventually('an approval after the restart', async () => {
      try {
        return await client.authorize(newRequest({ cardToken }));
      } catch {
        return undefined;
      }
    });
    t.is(result.outcome, 'approved');
  } finally {
    await client.close();
    await restartable.close();
  }
});
