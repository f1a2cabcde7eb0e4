/**
 * The event contract: building, parsing, routing, and the committed JSON Schemas.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { ZodError } from 'zod';
import { config, parseEnvironment } from '../../platform/config.js';
import { deadLetterTopic, eventSchemas, eventTypes, type EventType, topicFor, topics } from '../../platform/events/catalog.js';
import { consumerGroupId, topicName } from '../../platform/events/naming.js';
import { buildEvent, eventIdFor, InvalidEventError, parseEvent, schemaUriFor } from '../../platform/events/envelope.js';
import { schemaDocuments, schemasDirectory } from '../../platform/events/json-schemas.js';
import { sampleEventData } from '../support/fixtures.js';

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('every sample payload satisfies its schema (so the fixtures exercise valid data)', (t) => {
  const samples = sampleEventData();
  t.deepEqual(Object.keys(samples).sort(), [...eventTypes].sort());
  for (const type of eventTypes) {
    t.true(eventSchemas[type].safeParse(samples[type]).success, type);
  }
});

test('buildEvent fills the CloudEvents envelope from the data', (t) => {
  const orderId = randomUUID();
  const data = sampleEventData(orderId)['order.v1.created'];
  const time = new Date('2025-03-01T10:00:00.000Z');
  const event = buildEvent({ type: 'order.v1.created', source: 'ordersaga/test', data, time });
  t.deepEqual(event, {
    specversion: '1.0',
    id: eventIdFor('order.v1.created', orderId),
    source: 'ordersaga/test',
    type: 'order.v1.created',
    subject: orderId,
    time: '2025-03-01T10:00:00.000Z',
    datacontenttype: 'application/json',
    dataschema: 'https://ordersaga.dev/schemas/order.v1.created.json',
    data,
  });
  t.regex(event.id, UUID_V5);
  t.false('traceparent' in event, 'no traceparent key without a trace');
});

test('buildEvent carries a traceparent when given one', (t) => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const event = buildEvent({ type: 'order.v1.completed', source: 's', data: sampleEventData()['order.v1.completed'], traceparent });
  t.is(event.traceparent, traceparent);
});

test('buildEvent rejects data that violates the schema', (t) => {
  const data = sampleEventData()['order.v1.created'];
  t.throws(() => buildEvent({ type: 'order.v1.created', source: 's', data: { ...data, orderId: 'not-a-uuid' } }), {
    instanceOf: ZodError,
  });
  t.throws(() => buildEvent({ type: 'order.v1.created', source: 's', data: { ...data, items: [] } }), { instanceOf: ZodError });
  t.throws(
    () => buildEvent({ type: 'order.v1.created', source: 's', data: { ...data, surprise: true } as typeof data }),
    { instanceOf: ZodError },
    'the payload schemas are strict: unknown fields are rejected',
  );
  t.throws(
    () =>
      buildEvent({
        type: 'order.v1.payment_authorized',
        source: 's',
        data: { ...sampleEventData()['order.v1.payment_authorized'], amountMinor: -1 },
      }),
    { instanceOf: ZodError },
  );
});

test('the same type and order always give the same id, whatever the time, source or payload', (t) => {
  const orderId = randomUUID();
  const first = buildEvent({
    type: 'order.v1.cancelled',
    source: 'a',
    data: sampleEventData(orderId)['order.v1.cancelled'],
    time: new Date(0),
  });
  const retried = buildEvent({
    type: 'order.v1.cancelled',
    source: 'b',
    data: { ...sampleEventData(orderId)['order.v1.cancelled'], reason: 'different words' },
    time: new Date(),
  });
  t.is(first.id, retried.id);
  t.is(eventIdFor('order.v1.cancelled', orderId), first.id);
});

test('a different type, order or discriminator gives a different id', (t) => {
  const orderId = randomUUID();
  const ids = [
    eventIdFor('order.v1.created', orderId),
    eventIdFor('order.v1.completed', orderId),
    eventIdFor('order.v1.created', randomUUID()),
    eventIdFor('order.v1.created', orderId, 'second'),
  ];
  t.is(new Set(ids).size, ids.length);
  // Every type of one order gets its own id.
  const perType = eventTypes.map((type) => eventIdFor(type, orderId));
  t.is(new Set(perType).size, eventTypes.length);
});

test('parseEvent accepts what buildEvent makes (round trip, from a string and from a Buffer)', (t) => {
  const samples = sampleEventData();
  for (const type of eventTypes) {
    const event = buildEvent({ type, source: 'ordersaga/test', data: samples[type] });
    const json = JSON.stringify(event);
    t.deepEqual(parseEvent(json), event, `${type} from a string`);
    t.deepEqual(parseEvent(Buffer.from(json)), event, `${type} from a Buffer`);
  }
});

test('parseEvent accepts an envelope whose time has an offset', (t) => {
  const event = buildEvent({ type: 'order.v1.failed', source: 's', data: sampleEventData()['order.v1.failed'] });
  const parsed = parseEvent(JSON.stringify({ ...event, time: '2025-03-01T18:00:00+09:00' }));
  t.is(parsed.time, '2025-03-01T18:00:00+09:00');
});

function kindOf(t: import('ava').ExecutionContext, value: Buffer | string | null): InvalidEventError['kind'] | undefined {
  const error = t.throws(() => parseEvent(value), { instanceOf: InvalidEventError });
  return error?.kind;
}

test('parseEvent rejects a null value and non-JSON as malformed-json', (t) => {
  t.is(kindOf(t, null), 'malformed-json');
  t.is(kindOf(t, 'not json {'), 'malformed-json');
  t.is(kindOf(t, Buffer.from('')), 'malformed-json');
  t.is(kindOf(t, Buffer.from([0xff, 0xfe, 0x00])), 'malformed-json');
});

test('parseEvent rejects JSON that is not a CloudEvents 1.0 envelope as bad-envelope', (t) => {
  const good = buildEvent({ type: 'order.v1.created', source: 's', data: sampleEventData()['order.v1.created'] });
  const { id: _id, ...withoutId } = good;
  const cases: [string, unknown][] = [
    ['a number', 42],
    ['an array', [good]],
    ['JSON null', null],
    ['an unrelated object', { hello: 'world' }],
    ['spec version 0.3', { ...good, specversion: '0.3' }],
    ['no id', withoutId],
    ['an empty source', { ...good, source: '' }],
    ['a time that is not ISO 8601', { ...good, time: 'yesterday' }],
    ['a non-JSON content type', { ...good, datacontenttype: 'text/plain' }],
  ];
  for (const [name, value] of cases) {
    t.is(kindOf(t, JSON.stringify(value)), 'bad-envelope', name);
  }
});

test('parseEvent rejects an unknown type as unknown-type, naming it', (t) => {
  const good = buildEvent({ type: 'order.v1.created', source: 's', data: sampleEventData()['order.v1.created'] });
  for (const type of ['order.v1.exploded', 'order.v2.created', 'toString', '__proto__']) {
    const error = t.throws(() => parseEvent(JSON.stringify({ ...good, type })), { instanceOf: InvalidEventError });
    t.is(error?.kind, 'unknown-type', type);
    t.true(error?.message.includes(JSON.stringify(type)), error?.message);
  }
});

test('parseEvent rejects data that violates its schema as schema-violation, naming the type', (t) => {
  const good = buildEvent({ type: 'order.v1.created', source: 's', data: sampleEventData()['order.v1.created'] });
  const violations: unknown[] = [
    undefined,
    {},
    { ...good.data, items: [] },
    { ...good.data, orderId: 'order-1' },
    { ...good.data, items: [{ sku: 'KB-001', quantity: 0 }] },
    { ...good.data, extra: 1 },
  ];
  for (const data of violations) {
    const error = t.throws(() => parseEvent(JSON.stringify({ ...good, data })), { instanceOf: InvalidEventError });
    t.is(error?.kind, 'schema-violation', JSON.stringify(data));
    t.true(error?.message.startsWith('order.v1.created data:'), error?.message);
  }
});

test('parseEvent normalises dataschema from the type rather than trusting the record', (t) => {
  const event = buildEvent({ type: 'order.v1.created', source: 's', data: sampleEventData()['order.v1.created'] });
  const parsed = parseEvent(JSON.stringify({ ...event, dataschema: 'https://elsewhere.example/x.json' }));
  t.is(parsed.dataschema, schemaUriFor('order.v1.created'));
});

test('topicFor sends each type to its domain topic', (t) => {
  // The estate's prefix (`ordersaga`, or `ordersaga-test` under `make test`; platform/events/naming.ts).
  const prefix = config().KAFKA_TOPIC_PREFIX;
  const expected: Record<EventType, string> = {
    'order.v1.created': `${prefix}.order.events`,
    'inventory.v1.reserved': `${prefix}.inventory.events`,
    'inventory.v1.rejected': `${prefix}.inventory.events`,
    'inventory.v1.released': `${prefix}.inventory.events`,
    'order.v1.payment_authorized': `${prefix}.order.events`,
    'order.v1.payment_declined': `${prefix}.order.events`,
    'payment.v1.voided': `${prefix}.payment.events`,
    'fulfillment.v1.scheduled': `${prefix}.fulfillment.events`,
    'fulfillment.v1.cancelled': `${prefix}.fulfillment.events`,
    'fulfillment.v1.shipped': `${prefix}.fulfillment.events`,
    'fulfillment.v1.delivered': `${prefix}.fulfillment.events`,
    'fulfillment.v1.lost': `${prefix}.fulfillment.events`,
    'order.v1.completed': `${prefix}.order.events`,
    'order.v1.rejected': `${prefix}.order.events`,
    'order.v1.failed': `${prefix}.order.events`,
    'order.v1.cancelled': `${prefix}.order.events`,
    'order.v1.refunded': `${prefix}.order.events`,
  };
  t.deepEqual(Object.keys(expected).sort(), [...eventTypes].sort(), 'the table covers every type');
  for (const type of eventTypes) t.is(topicFor(type), expected[type], type);
  t.deepEqual([...new Set(eventTypes.map(topicFor))].sort(), Object.values(topics).sort(), 'every topic carries some type');
});

test("topic names and consumer groups carry the estate prefix; the defaults are the user estate's names", (t) => {
  const defaults = parseEnvironment({});
  t.is(defaults.KAFKA_TOPIC_PREFIX, 'ordersaga');
  t.is(defaults.KAFKA_CONSUMER_GROUP_PREFIX, '');
  const prefix = config().KAFKA_TOPIC_PREFIX;
  t.is(deadLetterTopic, `${prefix}.dead-letter`);
  t.is(topicName('order.events'), topics.order);
  t.is(consumerGroupId('analytics'), `${config().KAFKA_CONSUMER_GROUP_PREFIX}analytics`);
  t.throws(() => parseEnvironment({ KAFKA_TOPIC_PREFIX: 'has space' }), { message: /KAFKA_TOPIC_PREFIX/ });
});

test('event types follow <domain>.v<N>.<past_tense> with a known domain', (t) => {
  for (const type of eventTypes) {
    t.regex(type, /^(order|inventory|payment|fulfillment)\.v\d+\.[a-z_]+$/);
  }
});

test('the committed JSON Schemas are exactly what the catalogue generates', (t) => {
  const documents = schemaDocuments();
  const files = readdirSync(schemasDirectory).sort();
  t.deepEqual(files, eventTypes.map((type) => `${type}.json`).sort(), 'exactly one file per event type, nothing else');
  for (const type of eventTypes) {
    const text = readFileSync(`${schemasDirectory}/${type}.json`, 'utf8');
    t.deepEqual(JSON.parse(text), documents[type], `${type}.json has drifted: run npm run schemas`);
    t.is(text, `${JSON.stringify(documents[type], null, 2)}\n`, `${type}.json is not formatted as write-schemas writes it`);
  }
});

test('each generated schema names its type and is draft 2020-12', (t) => {
  const documents = schemaDocuments() as Record<
    string,
    { $id: string; title: string; $schema: string; type: string; additionalProperties: unknown }
  >;
  for (const type of eventTypes) {
    const document = documents[type]!;
    t.is(document.$id, schemaUriFor(type));
    t.is(document.title, type);
    t.is(document.$schema, 'https://json-schema.org/draft/2020-12/schema');
    t.is(document.type, 'object');
    t.is(document.additionalProperties, false, `${type} is strict`);
  }
});
