/**
 * The running analytics and notification consumers, through real Kafka: an event is applied once
 * however often it is delivered, and records that are not valid events go to the dead-letter topic
 * with the reason while the consumers carry on (records the database refuses, outages and replays:
 * dead-letters.test.ts).
 *
 * Waiting is by partition order: every topic is keyed by order id, so once a consumer has applied a
 * later event for the same order (same key, same topic, same partition), it has also handled every
 * record published before it for that order.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { KafkaMessage, Producer } from 'kafkajs';
import { config } from '../../platform/config.js';
import { openDatabase } from '../../platform/db.js';
import { deadLetterTopic, type EventData, topics } from '../../platform/events/catalog.js';
import { consumerGroupId } from '../../platform/events/naming.js';
import { buildEvent, type CloudEvent } from '../../platform/events/envelope.js';
import { EventPublisher, kafkaClient } from '../../platform/kafka.js';
import { sampleEventData, uniqueCustomerId } from '../support/fixtures.js';
import { eventually, getJson } from '../support/estate.js';

/** The two consumers' groups, as the running estate names them (the test identity prefixes them). */
const CONSUMER_GROUPS = ['analytics', 'notification'].map(consumerGroupId);

let publisher: EventPublisher;
let rawProducer: Producer;

test.before(async () => {
  publisher = new EventPublisher(kafkaClient('consumer-test'), 'consumer-test');
  rawProducer = kafkaClient('consumer-test-raw').producer({ allowAutoTopicCreation: false });
  await rawProducer.connect();
});

test.after.always(async () => {
  await publisher?.close();
  await rawProducer?.disconnect();
});

interface AppliedEvent {
  eventId: string;
  type: string;
}
interface Notification {
  notificationId: string;
  orderId: string;
  eventType: string;
  channel: string;
  locale: string;
  recipient: string;
  subject: string | null;
  body: string;
}

async function analyticsEvents(orderId: string): Promise<AppliedEvent[]> {
  return (await getJson<{ events: AppliedEvent[] }>(`${config().ANALYTICS_URL}/analytics/orders/${orderId}/events`)).events;
}

async function notifications(customerId: string): Promise<Notification[]> {
  const query = new URLSearchParams({ customerId });
  return (await getJson<{ notifications: Notification[] }>(`${config().NOTIFICATION_URL}/notifications?${query}`)).notifications;
}

/** Waits until both consumers have applied the event with this id (notification only for customer-facing types). */
async function waitUntilApplied(event: CloudEvent, { notified = true } = {}): Promise<void> {
  await eventually(
    `analytics to apply ${event.type} ${event.id}`,
    async () => (await analyticsEvents(event.subject)).some((applied) => applied.eventId === event.id) || undefined,
  );
  if (!notified) return;
  await eventually(
    `notification to record ${event.type} ${event.id}`,
    async () => (await notifications(event.data.customerId)).some((notification) => notification.notificationId === event.id) || undefined,
  );
}

function orderCreated(orderId: string = randomUUID(), customerId = uniqueCustomerId('consumer')): CloudEvent<'order.v1.created'> {
  return buildEvent({
    type: 'order.v1.created',
    source: 'ordersaga/consumer-test',
    data: sampleEventData(orderId, customerId)['order.v1.created'],
  });
}

function count<T>(values: T[], wanted: T): number {
  return values.filter((value) => value === wanted).length;
}

test('an event published again is still applied exactly once by analytics and notification', async (t) => {
  const created = orderCreated();
  const { orderId, customerId } = created.data;
  await publisher.publish(created);
  await waitUntilApplied(created);

  // The same event again, byte for byte, and as a retried emit would rebuild it (new time, same id).
  await publisher.publish(created);
  const rebuilt = await publisher.emit('order.v1.created', created.data);
  t.is(rebuilt.id, created.id);
  t.not(rebuilt.time, created.time);

  // Unrelated traffic, then a later event of the same order, which the consumers reach only after the duplicates.
  const unrelated = Array.from({ length: 3 }, () => orderCreated());
  for (const event of unrelated) await publisher.publish(event);
  const cancelled = await publisher.emit('order.v1.cancelled', {
    orderId,
    customerId,
    reason: 'customer asked',
    acceptedAt: created.data.acceptedAt,
  });
  await waitUntilApplied(cancelled);
  for (const event of unrelated) await waitUntilApplied(event);

  const applied = await analyticsEvents(orderId);
  t.is(
    count(
      applied.map((event) => event.eventId),
      created.id,
    ),
    1,
    'analytics applied order.v1.created once',
  );
  t.deepEqual(applied.map((event) => event.type).sort(), ['order.v1.cancelled', 'order.v1.created']);

  const sent = await notifications(customerId);
  t.is(
    count(
      sent.map((notification) => notification.notificationId),
      created.id,
    ),
    1,
    'one notification for order.v1.created',
  );
  t.deepEqual(sent.map((notification) => notification.eventType).sort(), ['order.v1.cancelled', 'order.v1.created']);
  t.like(
    sent.find((notification) => notification.notificationId === created.id),
    {
      orderId,
      eventType: 'order.v1.created',
      channel: 'email',
      locale: 'ko',
      recipient: `${customerId}@customers.ordersaga.dev`,
      subject: '[ordersaga] 주문 접수',
    },
  );
});

test('internal events are applied by both consumers but not announced to the customer', async (t) => {
  const orderId = randomUUID();
  const customerId = uniqueCustomerId('consumer');
  const samples = sampleEventData(orderId, customerId);
  const internal = [
    await publisher.emit('inventory.v1.reserved', samples['inventory.v1.reserved']),
    await publisher.emit('inventory.v1.released', samples['inventory.v1.released']),
    await publisher.emit('fulfillment.v1.cancelled', samples['fulfillment.v1.cancelled']),
  ];
  const failed = await publisher.emit('order.v1.failed', samples['order.v1.failed']);
  for (const event of internal) await waitUntilApplied(event, { notified: false });
  await waitUntilApplied(failed);
  // The notification service has no API for what it processed without notifying; its inbox table says.
  const notificationDb = openDatabase(config().NOTIFICATION_DATABASE_URL, 'consumer-test');
  try {
    await eventually('notification to process the internal events', async () => {
      const { rows } = await notificationDb.query('SELECT event_id FROM processed_events WHERE event_id = ANY($1::uuid[])', [
        internal.map((event) => event.id),
      ]);
      return rows.length === internal.length || undefined;
    });
  } finally {
    await notificationDb.end();
  }
  t.deepEqual(
    (await notifications(customerId)).map((notification) => notification.eventType),
    ['order.v1.failed'],
  );
  t.deepEqual((await analyticsEvents(orderId)).map((event) => event.type).sort(), [
    'fulfillment.v1.cancelled',
    'inventory.v1.released',
    'inventory.v1.reserved',
    'order.v1.failed',
  ]);
});

test("a customer's contact preference decides channel and language", async (t) => {
  const customerId = uniqueCustomerId('consumer');
  const answer = await fetch(`${config().NOTIFICATION_URL}/preferences/${encodeURIComponent(customerId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'sms', locale: 'en', recipient: '+82-10-0000-0000' }),
  });
  t.is(answer.status, 200);
  const data: EventData<'order.v1.payment_authorized'> = sampleEventData(randomUUID(), customerId)['order.v1.payment_authorized'];
  const authorized = await publisher.emit('order.v1.payment_authorized', data);
  await waitUntilApplied(authorized);
  const [notification] = await notifications(customerId);
  t.like(notification, {
    eventType: 'order.v1.payment_authorized',
    channel: 'sms',
    locale: 'en',
    recipient: '+82-10-0000-0000',
    subject: null,
  });
  t.true(notification?.body.startsWith('[ordersaga] Payment approved: '), notification?.body);
});

/** Reads the dead-letter topic from the beginning with a fresh group until `done` says it has what it needs. */
async function readDeadLetters(done: (records: KafkaMessage[]) => boolean): Promise<KafkaMessage[]> {
  const kafka = kafkaClient('consumer-test-dlq');
  const groupId = `ordersaga-test-dlq-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const records: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
    await eventually('the dead-letter records to be read', async () => (done(records) ? true : undefined), 60_000);
    return records;
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

test('records that are not valid events are dead-lettered with the reason, and the consumers carry on', async (t) => {
  const valid = buildEvent({ type: 'order.v1.created', source: 'ordersaga/consumer-test', data: sampleEventData()['order.v1.created'] });
  const cases = [
    { reason: 'malformed-json', value: 'this is not JSON {' },
    { reason: 'malformed-json', value: null },
    { reason: 'bad-envelope', value: JSON.stringify({ hello: 'world' }) },
    { reason: 'unknown-type', value: JSON.stringify({ ...valid, type: 'order.v1.exploded' }) },
    { reason: 'schema-violation', value: JSON.stringify({ ...valid, data: { orderId: valid.data.orderId, customerId: 'x' } }) },
  ].map((entry) => ({ ...entry, key: randomUUID() }));

  await rawProducer.send({
    topic: topics.order,
    acks: -1,
    messages: cases.map(({ key, value }) => ({ key, value, headers: { 'x-test-case': key } })),
  });
  // A valid event behind each bad record, on its partition: applied only if the consumers moved past the bad one.
  const followers = cases.map(({ key }) => orderCreated(key));
  for (const event of followers) await publisher.publish(event);
  for (const event of followers) await waitUntilApplied(event);

  // Other consumer groups may dead-letter these records too; we look at the two services under test.
  const header = (record: KafkaMessage, name: string) => record.headers?.[name]?.toString();
  const fromGroup = (records: KafkaMessage[], key: string, group: string) =>
    records.filter((record) => record.key?.toString() === key && header(record, 'dlq-consumer-group') === group);
  const records = await readDeadLetters((all) =>
    cases.every(({ key }) => CONSUMER_GROUPS.every((group) => fromGroup(all, key, group).length > 0)),
  );

  for (const { key, reason, value } of cases) {
    for (const group of CONSUMER_GROUPS) {
      const deadLettered = fromGroup(records, key, group);
      // At least once: a consumer restarted before committing its offset dead-letters the record again.
      t.true(deadLettered.length >= 1, `${reason} (${key}) dead-lettered by ${group}`);
      for (const record of deadLettered) {
        t.is(header(record, 'dlq-reason'), reason, key);
        t.is(header(record, 'dlq-error-class'), 'permanent', `${key}: not a valid event, never will be`);
        t.is(header(record, 'dlq-attempts'), '1', `${key}: dead-lettered on the first attempt`);
        t.regex(header(record, 'dlq-source') ?? '', new RegExp(`^${topics.order.replaceAll('.', '\\.')}/\\d+/\\d+$`));
        t.truthy(header(record, 'dlq-detail'));
        t.is(header(record, 'x-test-case'), key, 'the original headers travel with the record');
        t.is(record.value === null ? null : record.value.toString(), value, 'the record is forwarded untouched');
      }
    }
  }
  // None of the bad records was applied as an event.
  for (const { key } of cases) {
    t.deepEqual(
      (await analyticsEvents(key)).map((event) => event.type),
      ['order.v1.created'],
      key,
    );
  }
});
