/**
 * A whole load run (loadgen/load-run.ts, loadgen/order-journey.ts) against a fake gateway on the
 * loopback interface: outcomes by scenario, errors by kind, deadlines, the poll cap, trace headers,
 * the closed model, and giving up on orders in flight.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { GatewayClient } from '../../loadgen/gateway-client.js';
import { customerPool } from '../../loadgen/customers.js';
import { LoadRun, type LoadRunSettings } from '../../loadgen/load-run.js';
import { parseMix } from '../../loadgen/mix.js';
import { seededRandom } from '../../loadgen/random.js';
import { createOrderFactory } from '../../loadgen/scenarios.js';
import { parseTraceparent } from '../../loadgen/traceparent.js';
import { sagaDuration } from '../../loadgen/order-journey.js';
import { PollLimiter } from '../../loadgen/poll-limiter.js';

interface FakeBehaviour {
  submitStatus?: number;
  cancelStatus?: number;
  /** Polls an order answers PENDING before its terminal status; Infinity = never terminal. */
  pollsUntilTerminal?: number;
  pollDelayMs?: number;
}

interface FakeGateway {
  url: string;
  posts: { traceparent: string | undefined; orderId: string }[];
  polls: { traceparent: string | undefined; orderId: string }[];
  maxConcurrentPolls: number;
  maxOpenOrders: number;
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

/** Ends orders the way the estate's levers say: card, postal code, scarce product, cancel. */
function endingFor(
  order: { payment: { cardNumber: string }; shippingAddress: { postalCode: string }; items: { sku: string }[] },
  cancelled: boolean,
): string {
  if (cancelled) return 'CANCELLED';
  if (order.items.some((item) => item.sku === 'LTD-024')) return 'REJECTED';
  const card = order.payment.cardNumber.replace(/\s/g, '');
  if (card !== '4242424242424242') return 'PAYMENT_DECLINED';
  if (order.shippingAddress.postalCode === '99999') return 'FAILED';
  return 'COMPLETED';
}

async function fakeGateway(behaviour: FakeBehaviour = {}): Promise<FakeGateway> {
  const orders = new Map<
    string,
    { order: Parameters<typeof endingFor>[0]; polls: number; cancelled: boolean; done: boolean; at: string }
  >();
  let concurrentPolls = 0;
  const fake: Omit<FakeGateway, 'url' | 'close'> = { posts: [], polls: [], maxConcurrentPolls: 0, maxOpenOrders: 0 };
  const server: Server = createServer(
    (request, response) =>
      void (async () => {
        const send = (status: number, json: unknown) =>
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        const path = request.url ?? '';
        if (request.method === 'POST' && path === '/orders') {
          const order = JSON.parse(await body(request));
          if (behaviour.submitStatus && behaviour.submitStatus !== 202) return send(behaviour.submitStatus, { title: 'nope' });
          const orderId = randomUUID();
          orders.set(orderId, { order, polls: 0, cancelled: false, done: false, at: new Date().toISOString() });
          fake.posts.push({ traceparent: request.headers.traceparent as string | undefined, orderId });
          fake.maxOpenOrders = Math.max(fake.maxOpenOrders, [...orders.values()].filter((entry) => !entry.done).length);
          return send(202, { orderId, status: 'PENDING' });
        }
        const cancel = /^\/orders\/([^/]+)\/cancel$/.exec(path);
        if (request.method === 'POST' && cancel) {
          await body(request);
          const status = behaviour.cancelStatus ?? 404;
          if (status === 202) orders.get(cancel[1]!)!.cancelled = true;
          return send(status, {});
        }
        const read = /^\/orders\/([^/]+)$/.exec(path);
        if (request.method === 'GET' && read) {
          const entry = orders.get(read[1]!);
          if (!entry) return send(404, {});
          fake.polls.push({ traceparent: request.headers.traceparent as string | undefined, orderId: read[1]! });
          concurrentPolls += 1;
          fake.maxConcurrentPolls = Math.max(fake.maxConcurrentPolls, concurrentPolls);
          await new Promise((resolve) => setTimeout(resolve, behaviour.pollDelayMs ?? 0));
          concurrentPolls -= 1;
          entry.polls += 1;
          const terminal = entry.polls > (behaviour.pollsUntilTerminal ?? 1);
          const status = terminal ? endingFor(entry.order, entry.cancelled) : 'PENDING';
          if (terminal) entry.done = true;
          const history = [
            { status: 'PENDING', at: entry.at },
            ...(terminal ? [{ status, at: new Date(Date.parse(entry.at) + 321).toISOString() }] : []),
          ];
          return send(200, { orderId: read[1], status, history });
        }
        send(404, {});
      })(),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function loadRun(url: string, overrides: Partial<LoadRunSettings> = {}): LoadRun {
  const settings: LoadRunSettings = {
    model: { kind: 'open', ratePerSecond: 200, arrivals: 'uniform', maxInFlight: 1_000 },
    rampSeconds: 0,
    durationSeconds: 10,
    maxCount: 12,
    mix: parseMix('happy=1,decline=1,insufficient=1,out-of-stock=1,undeliverable=1,cancel=1'),
    pollConcurrency: 4,
    pollsPerSecond: 1_000,
    deadlineMs: 5_000,
    pollInitialMs: 50,
    pollMaxMs: 100,
    cancelDelayMaxMs: 20,
    tracePolls: false,
    ...overrides,
  };
  const random = seededRandom(5);
  const orders = createOrderFactory({ customers: customerPool(10, random), tcpShare: 0.5, random });
  return new LoadRun(settings, (abandon) => new GatewayClient({ baseUrl: url, requestTimeoutMs: 2_000, signal: abandon }), orders, random);
}

test('each scenario ends where it should; a cancel the estate does not know is an error kind, not a crash', async (t) => {
  const gateway = await fakeGateway({ pollDelayMs: 15 });
  t.teardown(() => gateway.close());
  const run = loadRun(gateway.url, { maxCount: 60, pollConcurrency: 2 });
  await run.run();
  const summary = run.record.snapshot();
  t.is(summary.submitted, 60);
  t.is(summary.accepted, 60);
  t.is(summary.inFlight, 0);
  for (const [scenario, tally] of Object.entries(summary.scenarios)) {
    if (scenario === 'cancel') t.deepEqual(tally.outcomes, { COMPLETED: tally.submitted });
    else t.deepEqual(tally.outcomes, { [tally.expected]: tally.submitted }, scenario);
  }
  const cancels = summary.scenarios.cancel!.submitted;
  t.deepEqual(summary.cancels, { unsupported: cancels });
  t.deepEqual(summary.errors, { 'cancel:unsupported-404': cancels });
  t.is(summary.latencyMs.accept?.count, 60);
  t.is(summary.latencyMs.saga?.p50, 321);
  t.true(gateway.maxConcurrentPolls <= 2, `${gateway.maxConcurrentPolls} polls at once`);
});

test('every order carries its own sampled trace; its polls share the trace id, unsampled', async (t) => {
  const gateway = await fakeGateway();
  t.teardown(() => gateway.close());
  const run = loadRun(gateway.url);
  await run.run();
  const traceOf = new Map(run.record.orders.map((order) => [order.orderId, order.traceId]));
  t.is(new Set(traceOf.values()).size, run.record.orders.length);
  for (const post of gateway.posts) {
    const parsed = parseTraceparent(post.traceparent ?? '');
    t.truthy(parsed, `POST traceparent ${post.traceparent}`);
    t.true(parsed!.sampled);
    t.is(parsed!.traceId, traceOf.get(post.orderId) ?? 'missing');
  }
  for (const poll of gateway.polls) {
    const parsed = parseTraceparent(poll.traceparent ?? '');
    t.is(parsed?.traceId, traceOf.get(poll.orderId));
    t.false(parsed!.sampled);
  }
});

test('a cancel that the estate accepts ends the order CANCELLED', async (t) => {
  const gateway = await fakeGateway({ cancelStatus: 202, pollsUntilTerminal: 2 });
  t.teardown(() => gateway.close());
  const run = loadRun(gateway.url, { mix: parseMix('cancel=1'), maxCount: 5 });
  await run.run();
  const summary = run.record.snapshot();
  t.deepEqual(summary.terminal.CANCELLED, 5);
  t.deepEqual(summary.cancels, { accepted: 5 });
  t.deepEqual(summary.errors, {});
});

test('an order with no terminal status by its deadline is a timeout', async (t) => {
  const gateway = await fakeGateway({ pollsUntilTerminal: Number.POSITIVE_INFINITY });
  t.teardown(() => gateway.close());
  const run = loadRun(gateway.url, { maxCount: 3, deadlineMs: 400, mix: parseMix('happy=1') });
  const started = performance.now();
  await run.run();
  const summary = run.record.snapshot();
  t.is(summary.timedOut, 3);
  t.deepEqual(summary.errors, { 'terminal:timeout': 3 });
  t.true(performance.now() - started < 2_000);
  t.true(run.record.orders.every((order) => order.status === 'PENDING' && order.outcome === 'timeout'));
});

test('refused submissions and an unreachable gateway are errors by kind, and nothing is accepted', async (t) => {
  const refusing = await fakeGateway({ submitStatus: 503 });
  t.teardown(() => refusing.close());
  const refused = loadRun(refusing.url, { maxCount: 4 });
  await refused.run();
  t.like(refused.record.snapshot(), { submitted: 4, accepted: 0, errors: { 'submit:http-503': 4 } });

  const gone = await fakeGateway();
  const url = gone.url;
  await gone.close();
  const unreachable = loadRun(url, { maxCount: 2 });
  await unreachable.run();
  t.like(unreachable.record.snapshot(), { accepted: 0, errors: { 'submit:network-ECONNREFUSED': 2 } });
});

test('stop then abandon: submission ends and orders in flight are recorded as abandoned', async (t) => {
  const gateway = await fakeGateway({ pollsUntilTerminal: Number.POSITIVE_INFINITY });
  t.teardown(() => gateway.close());
  const run = loadRun(gateway.url, {
    model: { kind: 'open', ratePerSecond: 20, arrivals: 'uniform', maxInFlight: 100 },
    maxCount: 1_000,
    mix: parseMix('happy=1'),
  });
  const running = run.run();
  await new Promise((resolve) => setTimeout(resolve, 300));
  run.stop('SIGINT');
  const submitted = run.record.orders.length;
  run.abandon();
  await running;
  const summary = run.record.snapshot();
  t.is(run.interruptedBy, 'SIGINT');
  t.is(summary.submitted, submitted);
  t.true(summary.submitted > 0 && summary.submitted < 20);
  t.is(summary.abandoned, summary.submitted);
  t.is(summary.inFlight, 0);
});

test('the closed model never has more orders open than customers', async (t) => {
  const gateway = await fakeGateway({ pollsUntilTerminal: 2 });
  t.teardown(() => gateway.close());
  const run = loadRun(gateway.url, { model: { kind: 'closed', concurrency: 3, thinkMs: 0 }, maxCount: 12, mix: parseMix('happy=1') });
  await run.run();
  t.is(run.record.snapshot().terminal.COMPLETED, 12);
  t.true(gateway.maxOpenOrders <= 3, `${gateway.maxOpenOrders} open at once`);
});

test('the open model skips arrivals past --max-in-flight', async (t) => {
  const gateway = await fakeGateway({ pollsUntilTerminal: Number.POSITIVE_INFINITY });
  t.teardown(() => gateway.close());
  const run = loadRun(gateway.url, {
    model: { kind: 'open', ratePerSecond: 100, arrivals: 'uniform', maxInFlight: 3 },
    maxCount: 10,
    deadlineMs: 300,
    mix: parseMix('happy=1'),
  });
  await run.run();
  const summary = run.record.snapshot();
  t.is(summary.submitted + summary.skipped, 10);
  t.true(summary.skipped > 0);
  t.is(summary.errors['loadgen:in-flight-cap'], summary.skipped);
});

test('the poll budget caps reads in flight and reads per second', async (t) => {
  const limiter = new PollLimiter(2, 50);
  let active = 0;
  let most = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, () =>
      limiter.run(async () => {
        active += 1;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
      }),
    ),
  );
  t.is(limiter.total, 10);
  t.true(most <= 2);
  // Ten starts 20 ms apart: the last one no earlier than 180 ms after the first.
  t.true(performance.now() - started >= 175, `${performance.now() - started} ms`);
  const aborted = new AbortController();
  aborted.abort();
  t.is(await limiter.run(async () => 'ran', aborted.signal), undefined);
});

test('the saga duration comes from the order history', (t) => {
  t.is(
    sagaDuration([
      { status: 'PENDING', at: '2026-11-25T12:27:07.536+00:00' },
      { status: 'STOCK_RESERVED', at: '2026-11-25T12:27:07.681071+00:00' },
      { status: 'COMPLETED', at: '2026-11-25T12:27:07.854535+00:00' },
    ]),
    318,
  );
  t.is(sagaDuration([{ status: 'PENDING', at: '2026-11-25T12:27:07.536Z' }]), undefined);
});
