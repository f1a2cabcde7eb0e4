/**
 * The consumers' retry and dead-letter policy without Kafka (docs/dead-letters.md): which failures
 * are permanent, transient or unknown; the backoff; the dead letter's headers and the replayed
 * record's; which dead letters a replay picks; and the record processor itself, with a real pg Pool
 * whose database is unreachable (a port nothing listens on): it retries for ever, with a capped
 * backoff, and never dead-letters.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { metrics as metricsApi } from '@opentelemetry/api';
import { metrics } from '@opentelemetry/sdk-node';
import test from 'ava';
import type { KafkaMessage, Message } from 'kafkajs';
import pg from 'pg';
import { parseEnvironment } from '../../platform/config.js';
import {
  classifyConsumerFailure,
  deadLetterClass,
  type RetryPolicy,
  retryDelayMs,
  shouldDeadLetter,
} from '../../platform/consumer-failures.js';
import { deadLetterHeaders, deadLetterMessage, headerText, readDeadLetter, replayMessage } from '../../platform/dead-letters.js';
import { buildEvent, InvalidEventError } from '../../platform/events/envelope.js';
import { RecordProcessor } from '../../platform/record-processor.js';
import { selectForReplay } from '../../consumers/dead-letters/replay.js';
import { metricNames } from '../../platform/telemetry/metrics.js';
import { sampleEventData } from '../support/fixtures.js';

// The metrics the processor counts, read back in memory.
const metricReader = new (class extends metrics.MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
})();
metricsApi.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [metricReader] }));

/** The data points of one counter: attributes and value. */
async function counted(name: string): Promise<{ attributes: Record<string, unknown>; value: number }[]> {
  const { resourceMetrics } = await metricReader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value as number }));
}

const policy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1000 };

/** An error shaped as node-postgres gives a server error: a SQLSTATE in `code`. */
function sqlError(code: string, message = `server said ${code}`): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

test('the configuration has the documented defaults and refuses nonsense', (t) => {
  const defaults = parseEnvironment({});
  t.is(defaults.CONSUMER_MAX_ATTEMPTS, 5);
  t.is(defaults.CONSUMER_RETRY_INITIAL_MS, 200);
  t.is(defaults.CONSUMER_RETRY_MAX_MS, 10_000);
  t.throws(() => parseEnvironment({ CONSUMER_MAX_ATTEMPTS: '0' }), { message: /CONSUMER_MAX_ATTEMPTS/ });
  t.throws(() => parseEnvironment({ CONSUMER_RETRY_MAX_MS: 'soon' }), { message: /CONSUMER_RETRY_MAX_MS/ });
});

test('records that are not valid events are permanent and go at once', (t) => {
  for (const kind of ['malformed-json', 'bad-envelope', 'unknown-type', 'schema-violation', 'subject-mismatch'] as const) {
    const failure = classifyConsumerFailure(new InvalidEventError(kind, 'bad'));
    t.like(failure, { class: 'permanent', reason: kind, immediate: true }, kind);
    t.true(shouldDeadLetter(failure, 1, policy), kind);
  }
});

test('data exceptions and integrity violations are permanent, dead-lettered after the attempts run out', (t) => {
  for (const [code, reason] of [
    ['22P02', 'data-exception'], // invalid input syntax for type uuid
    ['22021', 'data-exception'], // a NUL byte in text
    ['22001', 'data-exception'], // value too long
    ['23505', 'integrity-violation'],
    ['23514', 'integrity-violation'], // check constraint
    ['23503', 'integrity-violation'],
  ] as const) {
    const failure = classifyConsumerFailure(sqlError(code));
    t.like(failure, { class: 'permanent', reason, immediate: false, code }, code);
    t.false(shouldDeadLetter(failure, policy.maxAttempts - 1, policy), `${code} before the last attempt`);
    t.true(shouldDeadLetter(failure, policy.maxAttempts, policy), `${code} at the last attempt`);
    t.is(deadLetterClass(failure), 'permanent');
  }
});

test('an unreachable, overloaded or shutting-down database is transient and never dead-lettered', (t) => {
  const transient: unknown[] = [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    // Node's dual-stack connect: both addresses refused, the codes inside.
    new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], ''),
    new Error('wrapped', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }),
    sqlError('57P01', 'terminating connection due to administrator command'),
    sqlError('57P03', 'the database system is starting up'),
    sqlError('53300', 'sorry, too many clients already'),
    sqlError('08006'),
    sqlError('40001', 'could not serialize access'),
    sqlError('40P01', 'deadlock detected'),
    sqlError('55P03', 'could not obtain lock'),
    sqlError('57014', 'canceling statement due to statement timeout'),
    sqlError('42P01', 'relation "processed_events" does not exist'),
    sqlError('28P01', 'password authentication failed'),
    Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }),
  ];
  for (const error of transient) {
    const failure = classifyConsumerFailure(error);
    t.is(failure.class, 'transient', (error as Error).message);
    t.false(shouldDeadLetter(failure, 1_000_000, policy), (error as Error).message);
  }
});

test('anything else is unknown: retried, then dead-lettered as transient-exhausted', (t) => {
  for (const error of [new TypeError('cannot read properties of undefined'), sqlError('P0001', 'raised'), 'a string']) {
    const failure = classifyConsumerFailure(error);
    t.is(failure.class, 'unknown', String(error));
    t.false(shouldDeadLetter(failure, policy.maxAttempts - 1, policy));
    t.true(shouldDeadLetter(failure, policy.maxAttempts, policy));
    t.is(deadLetterClass(failure), 'transient-exhausted');
  }
});

test('the backoff doubles from the initial wait, is capped, and its jitter stays within half of it', (t) => {
  const low = () => 0;
  const high = () => 1;
  t.deepEqual(
    [1, 2, 3, 4, 5, 6, 50].map((attempt) => retryDelayMs(attempt, policy, high)),
    [100, 200, 400, 800, 1000, 1000, 1000],
  );
  t.deepEqual(
    [1, 2, 3, 4, 5, 6, 50].map((attempt) => retryDelayMs(attempt, policy, low)),
    [50, 100, 200, 400, 500, 500, 500],
  );
});

function sourceMessage(overrides: Partial<KafkaMessage> = {}): KafkaMessage {
  return {
    key: Buffer.from('order-key'),
    value: Buffer.from('{"not":"an event"'),
    headers: { traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), 'x-custom': Buffer.from('kept') },
    offset: '41',
    timestamp: String(Date.now()),
    attributes: 0,
    size: 0,
    ...overrides,
  } as unknown as KafkaMessage;
}

test('a dead letter is the original record with headers saying why, from where, by whom, how often and when', (t) => {
  const message = sourceMessage();
  const now = new Date('2026-11-28T09:00:00.000Z');
  const deadLetter = deadLetterMessage(
    { group: 'analytics', topic: 'ordersaga.order.events', partition: 2, message },
    { reason: 'data-exception', errorClass: 'permanent', message: 'x'.repeat(5000), code: '22P02', attempts: 5 },
    now,
  );
  t.is(deadLetter.key, message.key);
  t.is(deadLetter.value, message.value);
  const text = (name: string) => headerText(deadLetter.headers, name);
  t.is(text('traceparent'), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  t.is(text('x-custom'), 'kept');
  t.is(text(deadLetterHeaders.reason), 'data-exception');
  t.is(text(deadLetterHeaders.errorClass), 'permanent');
  t.is(text(deadLetterHeaders.errorCode), '22P02');
  t.is(text(deadLetterHeaders.detail)?.length, 1000);
  t.is(text(deadLetterHeaders.source), 'ordersaga.order.events/2/41');
  t.is(text(deadLetterHeaders.sourceTopic), 'ordersaga.order.events');
  t.is(text(deadLetterHeaders.sourcePartition), '2');
  t.is(text(deadLetterHeaders.sourceOffset), '41');
  t.is(text(deadLetterHeaders.consumerGroup), 'analytics');
  t.is(text(deadLetterHeaders.attempts), '5');
  t.is(text(deadLetterHeaders.time), '2026-11-28T09:00:00.000Z');
});

/** What the dead-letter topic gives back for a dead letter written by `deadLetterMessage`. */
function asRead(message: Message, offset: string): KafkaMessage {
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))]));
  return {
    key: message.key,
    value: message.value,
    headers,
    offset,
    timestamp: String(Date.now()),
    attributes: 0,
    size: 0,
  } as unknown as KafkaMessage;
}

test('a replayed record has the original key, value and headers, and counts its replays', (t) => {
  const original = sourceMessage();
  const written = deadLetterMessage(
    { group: 'notification', topic: 'ordersaga.order.events', partition: 1, message: original },
    { reason: 'integrity-violation', errorClass: 'permanent', message: 'no', attempts: 5 },
  );
  const first = readDeadLetter('ordersaga.dead-letter', 0, asRead(written, '7'));
  t.like(first, {
    position: 'ordersaga.dead-letter/0/7',
    sourceTopic: 'ordersaga.order.events',
    sourcePartition: 1,
    sourceOffset: '41',
    replayCount: 0,
    attempts: 5,
  });
  const replayed = replayMessage(first);
  t.deepEqual(replayed.key, original.key);
  t.deepEqual(replayed.value, original.value);
  const names = Object.keys(replayed.headers ?? {}).sort();
  t.deepEqual(names, ['dlq-original-source', 'dlq-replay-count', 'traceparent', 'x-custom']);
  t.is(headerText(replayed.headers, 'traceparent'), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  t.is(headerText(replayed.headers, deadLetterHeaders.replayCount), '1');
  t.is(headerText(replayed.headers, deadLetterHeaders.originalSource), 'ordersaga.order.events/1/41');

  // It fails again at its new offset: the second dead letter keeps the count and the first home.
  const again = deadLetterMessage(
    { group: 'notification', topic: 'ordersaga.order.events', partition: 1, message: { ...asRead(replayed, '90'), offset: '90' } },
    { reason: 'integrity-violation', errorClass: 'permanent', message: 'still no', attempts: 5 },
  );
  const second = readDeadLetter('ordersaga.dead-letter', 0, asRead(again, '8'));
  t.like(second, { sourceOffset: '90', originalSource: 'ordersaga.order.events/1/41', replayCount: 1 });
  t.is(headerText(replayMessage(second).headers, deadLetterHeaders.replayCount), '2');
});

test('a replay picks one dead letter per record (its latest), applies the filters, and leaves records that keep failing', (t) => {
  const make = (group: string, offset: string, replayCount: number, originalSource: string, time: string, reason = 'data-exception') =>
    ({
      position: `dlq/0/${offset}`,
      message: sourceMessage({ offset }),
      reason,
      errorClass: 'permanent',
      detail: '',
      consumerGroup: group,
      sourceTopic: 'ordersaga.order.events',
      sourcePartition: 0,
      sourceOffset: offset,
      originalSource,
      attempts: 5,
      time: new Date(time),
      replayCount,
    }) as const;
  const a1 = make('analytics', '1', 0, 'o/0/1', '2026-11-28T08:00:00Z');
  const n1 = make('notification', '1', 0, 'o/0/1', '2026-11-28T08:00:01Z');
  const b = make('analytics', '2', 0, 'o/0/2', '2026-11-28T08:30:00Z', 'unknown-type');
  const cAgain = make('analytics', '9', 3, 'o/0/3', '2026-11-28T09:00:00Z');
  const cFirst = make('analytics', '3', 0, 'o/0/3', '2026-11-28T08:10:00Z');
  const all = [a1, n1, b, cAgain, cFirst];

  const every = selectForReplay(all, { maxReplays: 3 });
  t.deepEqual(every.replay.map((d) => d.originalSource).sort(), ['o/0/1', 'o/0/2'], 'once per record, whichever groups dead-lettered it');
  t.deepEqual(
    every.skipped.map((s) => [s.deadLetter.position, s.kind, s.why]),
    [['dlq/0/9', 'replay-limit', 'already replayed 3 times (limit 3)']],
  );

  t.deepEqual(selectForReplay(all, { maxReplays: 3, consumerGroup: 'notification' }).replay, [n1]);
  t.deepEqual(selectForReplay(all, { maxReplays: 3, since: new Date('2026-11-28T08:20:00Z') }).replay, [b]);
  t.deepEqual(
    selectForReplay(all, { maxReplays: 3, until: new Date('2026-11-28T08:20:00Z') })
      .replay.map((d) => d.originalSource)
      .sort(),
    ['o/0/1', 'o/0/3'],
  );
  t.deepEqual(selectForReplay(all, { maxReplays: 3, reason: 'unknown-type' }).replay, [b]);
  t.is(selectForReplay(all, { maxReplays: 10 }).replay.length, 3);
  t.is(selectForReplay(all, { maxReplays: 10, limit: 1 }).replay.length, 1);
});

/** A port on this machine that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('with its database unreachable, a valid event is retried with a capped backoff and never dead-lettered', async (t) => {
  const database = new pg.Pool({
    host: '127.0.0.1',
    port: await closedPort(),
    user: 'nobody',
    database: 'nothing',
    connectionTimeoutMillis: 2000,
  });
  t.teardown(() => database.end());
  const deadLetters: Message[] = [];
  let handled = 0;
  const processor = new RecordProcessor({
    group: 'unit-test',
    database,
    handle: async () => void handled++,
    deadLetters: { send: async (message) => void deadLetters.push(message) },
    policy,
    random: () => 1,
  });
  const event = buildEvent({ type: 'order.v1.created', source: 'ordersaga/test', data: sampleEventData()['order.v1.created'] });
  const record = { topic: 'ordersaga.order.events', partition: 0, message: sourceMessage({ value: Buffer.from(JSON.stringify(event)) }) };

  // Far more attempts than CONSUMER_MAX_ATTEMPTS: a database outage must not turn into dead letters.
  const delays: number[] = [];
  for (let attempt = 1; attempt <= policy.maxAttempts * 3; attempt++) {
    const outcome = await processor.process(record);
    if (outcome.kind !== 'retry') return t.fail(`attempt ${attempt} ended ${outcome.kind}`);
    t.is(outcome.failure.class, 'transient');
    t.is(outcome.attempts, attempt);
    delays.push(outcome.delayMs);
  }
  t.deepEqual(deadLetters, []);
  t.is(handled, 0);
  t.deepEqual(delays.slice(0, 5), [100, 200, 400, 800, 1000]);
  t.true(delays.every((delay) => delay <= policy.maxDelayMs));
  t.is(processor.pendingRecords, 1, 'the record is still owed');
  const retries = (await counted(metricNames.consumerRetries)).find((point) => point.attributes['error.class'] === 'transient');
  t.true((retries?.value ?? 0) >= policy.maxAttempts * 3, 'consumer.retries counts every transient failure');
});

test('a record that is not a valid event is dead-lettered on its first attempt, without touching the database', async (t) => {
  const database = new pg.Pool({
    host: '127.0.0.1',
    port: await closedPort(),
    user: 'nobody',
    database: 'nothing',
    connectionTimeoutMillis: 2000,
  });
  t.teardown(() => database.end());
  const deadLetters: Message[] = [];
  const processor = new RecordProcessor({
    group: 'unit-test',
    database,
    handle: async () => undefined,
    deadLetters: { send: async (message) => void deadLetters.push(message) },
    policy,
  });
  const event = buildEvent({ type: 'order.v1.created', source: 'ordersaga/test', data: sampleEventData()['order.v1.created'] });
  const mismatched = { ...event, subject: randomUUID() };
  const outcome = await processor.process({
    topic: 't',
    partition: 0,
    message: sourceMessage({ value: Buffer.from(JSON.stringify(mismatched)) }),
  });
  t.like(outcome, { kind: 'dead-lettered', attempts: 1 });
  t.is(deadLetters.length, 1);
  t.is(headerText(deadLetters[0]!.headers, deadLetterHeaders.reason), 'subject-mismatch');
  t.is(processor.pendingRecords, 0);
  const points = await counted(metricNames.consumerDeadLetters);
  t.deepEqual(
    points.filter((point) => point.attributes.reason === 'subject-mismatch'),
    [{ attributes: { 'messaging.consumer.group.name': 'unit-test', reason: 'subject-mismatch', 'error.class': 'permanent' }, value: 1 }],
    'consumer.dead_letters counts it by group, reason and class',
  );
});

test('when the dead-letter topic cannot take the record, it is retried and dead-lettered on the next attempt', async (t) => {
  const database = new pg.Pool({
    host: '127.0.0.1',
    port: await closedPort(),
    user: 'nobody',
    database: 'nothing',
    connectionTimeoutMillis: 2000,
  });
  t.teardown(() => database.end());
  let kafkaUp = false;
  const deadLetters: Message[] = [];
  const processor = new RecordProcessor({
    group: 'unit-test',
    database,
    handle: async () => undefined,
    deadLetters: {
      send: async (message) => {
        if (!kafkaUp) throw Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' });
        deadLetters.push(message);
      },
    },
    policy,
  });
  const record = { topic: 't', partition: 0, message: sourceMessage() };
  t.like(await processor.process(record), { kind: 'retry', attempts: 1 });
  kafkaUp = true;
  t.like(await processor.process(record), { kind: 'dead-lettered', attempts: 2 });
  t.is(deadLetters.length, 1);
});
