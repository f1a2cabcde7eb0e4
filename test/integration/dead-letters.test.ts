/**
 * Poison records, outages and replays, through real Kafka and PostgreSQL (docs/dead-letters.md).
 *
 * - The running analytics and notification consumers: each kind of poison record goes to the
 *   dead-letter topic with the original record and the `dlq-*` headers, and the good event behind it
 *   on the same partition is applied (neither consumer stalls).
 * - A consumer started here, on topics and a dead-letter topic of its own and a schema of its own in
 *   the analytics database (dropped afterwards): a database that is unreachable (a loopback proxy
 *   that hangs up) or a row lock held elsewhere makes it retry, without dead-lettering and while the
 *   other partitions go on; a record the database refuses is dead-lettered, and after the fix
 *   `make dlq-replay` re-drives it and it is applied once.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import test from 'ava';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import pg from 'pg';
import { config } from '../../platform/config.js';
import type { RetryPolicy } from '../../platform/consumer-failures.js';
import { deadLetterHeaders, headerText } from '../../platform/dead-letters.js';
import { deadLetterTopic, topics } from '../../platform/events/catalog.js';
import { buildEvent, type CloudEvent } from '../../platform/events/envelope.js';
import { createServedTopics, EventPublisher, kafkaClient, startEventConsumer } from '../../platform/kafka.js';
import { sampleEventData, uniqueCustomerId } from '../support/fixtures.js';
import { boundedCleanup, eventually, getJson } from '../support/estate.js';

const CONSUMER_SERVICES = ['analytics', 'notification'];

let kafka: Kafka;
let publisher: EventPublisher;
let rawProducer: Producer;

test.before(async () => {
  kafka = kafkaClient('dead-letter-test');
  publisher = new EventPublisher(kafka, 'dead-letter-test');
  rawProducer = kafka.producer({ allowAutoTopicCreation: false });
  await rawProducer.connect();
});

test.after.always(async () => {
  await publisher?.close();
  await rawProducer?.disconnect();
});

function orderCreated(orderId: string = randomUUID(), customerId = uniqueCustomerId('dlq')): CloudEvent<'order.v1.created'> {
  return buildEvent({
    type: 'order.v1.created',
    source: 'ordersaga/dead-letter-test',
    data: sampleEventData(orderId, customerId)['order.v1.created'],
  });
}

/** A sampled W3C traceparent of a trace only this record belongs to. */
function traceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** Every record of `topic` up to its end as of now, read with a throwaway group. */
async function readTopic(topic: string): Promise<{ partition: number; message: KafkaMessage }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic))
      .filter(({ high, low }) => BigInt(high) > BigInt(low))
      .map(({ partition, high }) => [partition, BigInt(high)]),
  );
  await admin.disconnect();
  const records: { partition: number; message: KafkaMessage }[] = [];
  if (ends.size === 0) return records;
  const groupId = `ordersaga-test-read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const pending = new Set(ends.keys());
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition)!;
        if (BigInt(message.offset) < end) records.push({ partition, message });
        if (BigInt(message.offset) + 1n >= end) pending.delete(partition);
      },
    });
    await eventually(`${topic} to be read to its end`, async () => (pending.size === 0 ? true : undefined), 60_000);
    return records;
  } finally {
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteGroups([groupId]).catch(() => undefined);
    await cleanup.disconnect();
  }
}

const header = (message: KafkaMessage, name: string) => headerText(message.headers, name);

// ---- the running services ---------------------------------------------------------------------------

async function analyticsEventIds(orderId: string): Promise<string[]> {
  const { events } = await getJson<{ events: { eventId: string }[] }>(`${config().ANALYTICS_URL}/analytics/orders/${orderId}/events`);
  return events.map((event) => event.eventId);
}

async function notificationIds(customerId: string): Promise<string[]> {
  const query = new URLSearchParams({ customerId });
  const { notifications } = await getJson<{ notifications: { notificationId: string }[] }>(
    `${config().NOTIFICATION_URL}/notifications?${query}`,
  );
  return notifications.map((notification) => notification.notificationId);
}

test('each kind of poison record is dead-lettered by both consumers with its headers, and the event behind it is applied', async (t) => {
  const maxAttempts = config().CONSUMER_MAX_ATTEMPTS;
  // Each poison is keyed by an order id of its own; the good event for that order follows it on the same partition.
  const poisons = [
    {
      name: 'an id that is not a UUID',
      reason: 'data-exception',
      code: '22P02',
      attempts: maxAttempts,
      value: (good: CloudEvent) => ({ ...good, id: `not-a-uuid-${good.id}` }),
    },
    {
      name: 'a NUL byte in a text field',
      reason: 'data-exception',
      code: '22021',
      attempts: maxAttempts,
      value: (good: CloudEvent) => ({ ...good, data: { ...good.data, customerId: `nul\u0000${good.data.customerId}` } }),
    },
    {
      name: 'a subject that is not the order id',
      reason: 'subject-mismatch',
      attempts: 1,
      value: (good: CloudEvent) => ({ ...good, subject: randomUUID() }),
    },
    {
      name: 'an unknown event type',
      reason: 'unknown-type',
      attempts: 1,
      value: (good: CloudEvent) => ({ ...good, type: 'order.v1.exploded' }),
    },
    { name: 'malformed JSON', reason: 'malformed-json', attempts: 1, value: () => undefined },
  ].map((poison) => {
    const good = orderCreated();
    const structured = poison.value(good);
    return {
      ...poison,
      key: good.subject,
      good,
      bytes: structured === undefined ? `{"specversion":"1.0","id":"${good.id}",` : JSON.stringify(structured),
      traceparent: traceparent(),
    };
  });
  await rawProducer.send({
    topic: topics.order,
    acks: -1,
    messages: poisons.map((poison) => ({
      key: poison.key,
      value: poison.bytes,
      headers: { traceparent: poison.traceparent, 'x-test-case': poison.name },
    })),
  });
  for (const poison of poisons) await publisher.publish(poison.good);

  // Both consumers move past every poison record: the event behind it is applied.
  for (const { good, name } of poisons) {
    await eventually(
      `analytics to apply the event behind ${name}`,
      async () => ((await analyticsEventIds(good.subject)).includes(good.id) ? true : undefined),
      60_000,
    );
    await eventually(
      `notification to apply the event behind ${name}`,
      async () => ((await notificationIds(good.data.customerId)).includes(good.id) ? true : undefined),
      60_000,
    );
  }

  // Under `make test` the groups carry the test estate's prefix; the service name ends them.
  const byService = (message: KafkaMessage, service: string) =>
    header(message, deadLetterHeaders.consumerGroup)?.endsWith(service) ?? false;
  const deadLetters = await eventually(
    'every poison record in the dead-letter topic, from both consumers',
    async () => {
      const records = (await readTopic(deadLetterTopic)).map(({ message }) => message);
      const complete = poisons.every(({ key }) =>
        CONSUMER_SERVICES.every((service) => records.some((message) => message.key?.toString() === key && byService(message, service))),
      );
      return complete ? records : undefined;
    },
    60_000,
    1000,
  );

  for (const poison of poisons) {
    for (const service of CONSUMER_SERVICES) {
      const mine = deadLetters.filter((message) => message.key?.toString() === poison.key && byService(message, service));
      // At least once: a consumer stopped between the dead letter and its offset commit writes it again.
      t.true(mine.length >= 1, `${poison.name} dead-lettered by ${service}`);
      for (const message of mine) {
        const what = `${poison.name} (${service})`;
        t.is(message.value?.toString(), poison.bytes, `${what}: the value is forwarded byte for byte`);
        t.is(header(message, 'traceparent'), poison.traceparent, `${what}: traceparent unchanged`);
        t.is(header(message, 'x-test-case'), poison.name, `${what}: the original headers travel with it`);
        t.is(header(message, deadLetterHeaders.reason), poison.reason, what);
        t.is(header(message, deadLetterHeaders.errorClass), 'permanent', what);
        t.is(header(message, deadLetterHeaders.attempts), String(poison.attempts), what);
        if (poison.code) t.is(header(message, deadLetterHeaders.errorCode), poison.code, what);
        t.truthy(header(message, deadLetterHeaders.detail), what);
        t.is(header(message, deadLetterHeaders.sourceTopic), topics.order, what);
        const partition = header(message, deadLetterHeaders.sourcePartition) ?? '';
        const offset = header(message, deadLetterHeaders.sourceOffset) ?? '';
        t.regex(partition, /^\d+$/, what);
        t.regex(offset, /^\d+$/, what);
        t.is(header(message, deadLetterHeaders.source), `${topics.order}/${partition}/${offset}`, what);
        const time = Date.parse(header(message, deadLetterHeaders.time) ?? '');
        t.true(Number.isFinite(time) && time <= Date.now() + 60_000, `${what}: dlq-time is a time`);
      }
    }
    // Only the good event was applied for this order.
    t.deepEqual(await analyticsEventIds(poison.key), [poison.good.id], poison.name);
  }
});

// ---- a consumer of the test's own ----------------------------------------------------------------------

/**
 * A schema of its own in the analytics database (the consumer's inbox and a table of effects), its
 * own topic and dead-letter topic, and a loopback proxy in front of PostgreSQL that can hang up on
 * every connection, as a database that is down would.
 */
interface Bench {
  topic: string;
  deadLetters: string;
  group: string;
  schema: string;
  admin: pg.Pool;
  proxy: DatabaseProxy;
  /** The consumer's pool, through the proxy, on the bench's schema. */
  database: pg.Pool;
}

class DatabaseProxy {
  connections = 0;
  up = true;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      this.connections++;
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (!this.up) return void client.resetAndDestroy();
      const upstream = net.connect(this.target);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Hang up on every connection, open or new. */
  down(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function openBench(t: import('ava').ExecutionContext, name: string): Promise<Bench> {
  const suffix = randomBytes(4).toString('hex');
  const bench = {
    topic: `${topics.order}.test-${name}-${suffix}`,
    deadLetters: `${deadLetterTopic}.test-${name}-${suffix}`,
    group: `ordersaga-test-${name}-${suffix}`,
    schema: `dlq_test_${suffix}`,
  };
  const url = new URL(config().ANALYTICS_DATABASE_URL);
  const admin = new pg.Pool({ connectionString: url.toString(), max: 2 });
  await admin.query(`CREATE SCHEMA ${bench.schema}`);
  await admin.query(`CREATE TABLE ${bench.schema}.processed_events (
    event_id uuid PRIMARY KEY, event_type text NOT NULL, subject text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now())`);
  await admin.query(`CREATE TABLE ${bench.schema}.effects (
    event_id uuid PRIMARY KEY, order_id uuid NOT NULL, customer_id text NOT NULL CONSTRAINT no_blocked_customers CHECK (customer_id NOT LIKE 'blocked-%'))`);
  await admin.query(`CREATE TABLE ${bench.schema}.locks (order_id uuid PRIMARY KEY)`);
  const proxy = new DatabaseProxy({ host: url.hostname, port: Number(url.port || 5432) });
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(await proxy.listen());
  const database = new pg.Pool({
    connectionString: proxied.toString(),
    options: `-c search_path=${bench.schema}`,
    connectionTimeoutMillis: 2000,
    max: 4,
  });
  database.on('error', () => undefined);
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await createServedTopics(
    kafkaAdmin,
    [bench.topic, bench.deadLetters].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
  );
  await kafkaAdmin.disconnect();
  // Each step on its own, so one that fails (after a failed test) does not leave the others' debris.
  t.teardown(async () => {
    await boundedCleanup(t, 'end the proxied pool', () => database.end());
    await boundedCleanup(t, 'close the proxy', () => proxy.close());
    await boundedCleanup(t, `drop schema ${bench.schema}`, () => admin.query(`DROP SCHEMA ${bench.schema} CASCADE`));
    await boundedCleanup(t, 'end the admin pool', () => admin.end());
    await boundedCleanup(t, 'delete the topics and the group', async () => {
      const cleanup = kafka.admin();
      await cleanup.connect();
      try {
        await cleanup.deleteTopics({ topics: [bench.topic, bench.deadLetters] });
        await cleanup.deleteGroups([bench.group]).catch(() => undefined);
      } finally {
        await cleanup.disconnect();
      }
    });
  });
  return { ...bench, admin, proxy, database };
}

/** The bench's consumer: records each event in `effects`; an order id in `locks` that is locked elsewhere waits (NOWAIT: 55P03). */
async function startBenchConsumer(
  t: import('ava').ExecutionContext,
  bench: Bench,
  retryPolicy: RetryPolicy,
  attempts = new Map<string, number>(),
): Promise<Consumer> {
  const consumer = await startEventConsumer({
    kafka,
    groupId: bench.group,
    database: bench.database,
    topics: [bench.topic],
    deadLetterTopic: bench.deadLetters,
    retryPolicy,
    handle: async (event, transaction) => {
      attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
      await transaction.query('SELECT order_id FROM locks WHERE order_id = $1 FOR UPDATE NOWAIT', [event.data.orderId]);
      await transaction.query('INSERT INTO effects (event_id, order_id, customer_id) VALUES ($1, $2, $3)', [
        event.id,
        event.data.orderId,
        event.data.customerId,
      ]);
    },
  });
  t.teardown(() => boundedCleanup(t, 'disconnect the consumer', () => consumer.disconnect()));
  return consumer;
}

/** Publishes the event as a producer would; returns the partition it went to. */
async function publishTo(topic: string, event: CloudEvent, headers: Record<string, string> = {}): Promise<number> {
  const [written] = await rawProducer.send({ topic, acks: -1, messages: [{ key: event.subject, value: JSON.stringify(event), headers }] });
  return written!.partition;
}

async function effectsOf(bench: Bench, eventId: string): Promise<number> {
  const { rows } = await bench.admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${bench.schema}.effects WHERE event_id = $1`, [
    eventId,
  ]);
  return rows[0]!.n;
}

const patient: RetryPolicy = { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 400 };

test('while the database is unreachable, a record is retried with backoff, not dead-lettered, and applied once it is back', async (t) => {
  const bench = await openBench(t, 'outage');
  bench.proxy.down();
  await startBenchConsumer(t, bench, patient);
  const event = orderCreated();
  await publishTo(bench.topic, event);

  // Far more tries than maxAttempts (each one a connection the proxy hung up on), and no dead letter.
  const wanted = patient.maxAttempts * 4;
  await eventually(
    `${wanted} connection attempts through the proxy`,
    async () => (bench.proxy.connections >= wanted ? true : undefined),
    60_000,
  );
  t.deepEqual(await readTopic(bench.deadLetters), [], 'nothing dead-lettered during the outage');
  t.is(await effectsOf(bench, event.id), 0);

  bench.proxy.up = true;
  await eventually(
    'the event to be applied once the database is back',
    async () => ((await effectsOf(bench, event.id)) === 1 ? true : undefined),
    30_000,
  );
  t.deepEqual(await readTopic(bench.deadLetters), []);
});

test('a record waiting on a lock holds back only its own partition, and is applied when the lock goes', async (t) => {
  const bench = await openBench(t, 'lock');
  const attempts = new Map<string, number>();
  await startBenchConsumer(t, bench, patient, attempts);
  const stuck = orderCreated();
  await bench.admin.query(`INSERT INTO ${bench.schema}.locks (order_id) VALUES ($1)`, [stuck.subject]);
  const holder = await bench.admin.connect();
  // Closed, not returned to the pool: a test that failed with the lock held leaves its transaction open.
  t.teardown(() => holder.release(true));
  await holder.query('BEGIN');
  await holder.query(`SELECT order_id FROM ${bench.schema}.locks WHERE order_id = $1 FOR UPDATE`, [stuck.subject]);

  const stuckPartition = await publishTo(bench.topic, stuck);
  // Events for orders on each of the other partitions, published after the stuck one.
  const others: CloudEvent[] = [];
  const otherPartitions = new Set<number>();
  while (otherPartitions.size < 2) {
    const event = orderCreated();
    const partition = await publishTo(bench.topic, event);
    if (partition === stuckPartition) continue;
    others.push(event);
    otherPartitions.add(partition);
  }
  for (const event of others) {
    await eventually(`${event.subject} on another partition to be applied`, async () =>
      (await effectsOf(bench, event.id)) === 1 ? true : undefined,
    );
  }
  // Far more tries than maxAttempts: waiting on a lock is no reason to give up on the record.
  const wanted = patient.maxAttempts * 3;
  await eventually(`${wanted} attempts at the locked order`, async () => ((attempts.get(stuck.id) ?? 0) >= wanted ? true : undefined));
  t.is(await effectsOf(bench, stuck.id), 0, 'the locked order waits');

  await holder.query('ROLLBACK');
  await eventually('the locked order to be applied once the lock goes', async () =>
    (await effectsOf(bench, stuck.id)) === 1 ? true : undefined,
  );
  t.deepEqual(await readTopic(bench.deadLetters), [], 'waiting on a lock is not a reason to dead-letter');
});

test('a consumer stopped while a record waits for its retry loses nothing: the next one applies it, then what follows it', async (t) => {
  const bench = await openBench(t, 'restart');
  const attempts = new Map<string, number>();
  const first = await startBenchConsumer(t, bench, patient, attempts);
  const stuck = orderCreated();
  await bench.admin.query(`INSERT INTO ${bench.schema}.locks (order_id) VALUES ($1)`, [stuck.subject]);
  const holder = await bench.admin.connect();
  // Closed, not returned to the pool: a test that failed with the lock held leaves its transaction open.
  t.teardown(() => holder.release(true));
  await holder.query('BEGIN');
  await holder.query(`SELECT order_id FROM ${bench.schema}.locks WHERE order_id = $1 FOR UPDATE`, [stuck.subject]);
  const stuckPartition = await publishTo(bench.topic, stuck);
  // Behind it on its partition (same order), and on the other partitions.
  const behind = buildEvent({
    type: 'order.v1.cancelled',
    source: 'ordersaga/dead-letter-test',
    data: { orderId: stuck.subject, customerId: stuck.data.customerId, reason: 'test', acceptedAt: stuck.data.acceptedAt },
  });
  await publishTo(bench.topic, behind);
  const elsewhere: CloudEvent[] = [];
  while (elsewhere.length < 4) {
    const event = orderCreated();
    if ((await publishTo(bench.topic, event)) !== stuckPartition) elsewhere.push(event);
  }
  await eventually('a few attempts at the locked order', async () => ((attempts.get(stuck.id) ?? 0) >= 3 ? true : undefined));
  for (const event of elsewhere)
    await eventually(`${event.subject} applied`, async () => ((await effectsOf(bench, event.id)) === 1 ? true : undefined));
  t.is(await effectsOf(bench, behind.id), 0, 'the record behind the locked one waits its turn');

  await first.disconnect();
  await holder.query('ROLLBACK');
  await startBenchConsumer(t, bench, patient, attempts);
  await eventually('the locked order applied by the next consumer', async () =>
    (await effectsOf(bench, stuck.id)) === 1 ? true : undefined,
  );
  await eventually('the record behind it applied', async () => ((await effectsOf(bench, behind.id)) === 1 ? true : undefined));
  for (const event of [...elsewhere, stuck, behind]) t.is(await effectsOf(bench, event.id), 1, 'each applied once');
  t.deepEqual(await readTopic(bench.deadLetters), []);
});

const execute = promisify(execFile);

/** `make dlq-replay` as an operator runs it (the command behind the target), with a JSON report. */
async function dlqReplay(...args: string[]): Promise<any> {
  const { stdout } = await execute('npx', ['tsx', 'consumers/dead-letters/main.ts', '--json', ...args], { timeout: 120_000 });
  return JSON.parse(stdout);
}

test('a record the database refuses is dead-lettered; after the fix, a replay applies it once, and replaying again changes nothing', async (t) => {
  const bench = await openBench(t, 'replay');
  await startBenchConsumer(t, bench, patient);
  const blocked = orderCreated(randomUUID(), `blocked-${randomUUID()}`);
  const trace = traceparent();
  await publishTo(bench.topic, blocked, { traceparent: trace, 'x-test-case': 'blocked customer' });
  const later = (type: 'order.v1.cancelled' | 'order.v1.failed') =>
    buildEvent({
      type,
      source: 'ordersaga/dead-letter-test',
      data: { orderId: blocked.subject, customerId: uniqueCustomerId('dlq'), reason: 'test', acceptedAt: blocked.data.acceptedAt },
    });
  const followerEvent = later('order.v1.cancelled');
  await publishTo(bench.topic, followerEvent);
  await eventually('the event behind the refused one to be applied', async () =>
    (await effectsOf(bench, followerEvent.id)) === 1 ? true : undefined,
  );

  const [deadLetter] = await eventually('the refused record in the dead-letter topic', async () => {
    const records = await readTopic(bench.deadLetters);
    return records.length > 0 ? records : undefined;
  });
  t.is(header(deadLetter!.message, deadLetterHeaders.reason), 'integrity-violation');
  t.is(header(deadLetter!.message, deadLetterHeaders.errorCode), '23514');
  t.is(header(deadLetter!.message, deadLetterHeaders.attempts), String(patient.maxAttempts));
  t.is(header(deadLetter!.message, deadLetterHeaders.consumerGroup), bench.group);

  // A dry run publishes nothing.
  const dry = await dlqReplay('--topic', bench.deadLetters, '--consumer', bench.group, '--dry-run');
  t.like(dry, { dryRun: true, read: 1 });
  t.is(dry.replayed.length, 1);
  t.is((await readTopic(bench.topic)).length, 2, 'the dry run published nothing');

  // Before the fix, a replay fails again: dead-lettered a second time, its replay count carried.
  const early = await dlqReplay('--topic', bench.deadLetters, '--consumer', bench.group);
  t.is(early.replayed.length, 1);
  const second = await eventually('the replayed record dead-lettered again', async () => {
    const records = await readTopic(bench.deadLetters);
    return records.length >= 2 ? records : undefined;
  });
  const again = second.find(({ message }) => header(message, deadLetterHeaders.replayCount) === '1');
  t.truthy(again, 'the second dead letter carries dlq-replay-count 1');
  t.is(header(again!.message, 'traceparent'), trace, 'and still the original traceparent');
  t.is(
    header(again!.message, deadLetterHeaders.originalSource),
    header(deadLetter!.message, deadLetterHeaders.source),
    'and its first home',
  );
  // The loop guard: with at most one replay allowed, it is left alone.
  const guarded = await dlqReplay('--topic', bench.deadLetters, '--consumer', bench.group, '--max-replays', '1');
  t.is(guarded.replayed.length, 0);
  t.is(guarded.skipped.length, 1);

  // The fix (a migration, say), then the replay: applied once.
  await bench.admin.query(`ALTER TABLE ${bench.schema}.effects DROP CONSTRAINT no_blocked_customers`);
  const report = await dlqReplay('--topic', bench.deadLetters, '--consumer', bench.group);
  t.is(report.replayed.length, 1, 'one record, though it has two dead letters');
  t.is(report.replayed[0].replayCount, 1);
  await eventually('the replayed record to be applied', async () => ((await effectsOf(bench, blocked.id)) === 1 ? true : undefined));
  const replayed = (await readTopic(bench.topic)).filter(({ message }) => header(message, deadLetterHeaders.replayCount) === '2');
  t.is(replayed.length, 1);
  t.is(replayed[0]!.message.value?.toString(), JSON.stringify(blocked), 'the replay publishes the original value');
  t.is(header(replayed[0]!.message, 'traceparent'), trace);
  t.is(header(replayed[0]!.message, 'x-test-case'), 'blocked customer');

  // Replaying again is harmless: the inbox knows the event.
  await dlqReplay('--topic', bench.deadLetters, '--consumer', bench.group);
  const marker = later('order.v1.failed');
  await publishTo(bench.topic, marker);
  await eventually('a later record on the partition to be applied', async () =>
    (await effectsOf(bench, marker.id)) === 1 ? true : undefined,
  );
  t.is(await effectsOf(bench, blocked.id), 1, 'applied once');
  const { rows } = await bench.admin.query(`SELECT count(*)::int AS n FROM ${bench.schema}.processed_events WHERE event_id = $1`, [
    blocked.id,
  ]);
  t.is(rows[0].n, 1);
  t.is((await readTopic(bench.deadLetters)).length, 2, 'nothing dead-lettered after the fix');
});
