/**
 * The consumers' fetch waits, against the real broker (platform/kafka.ts `fetchWaits`; docs/benchmarks.md,
 * "Cost per order"): with the estate's settings a consumer gets records that arrive a few per second in
 * a handful of fetches, not one fetch per record, which is what halved Kafka's and the consumers' CPU
 * per order. The same records read with `minBytes: 1` (kafkajs' default) are the control: one fetch
 * per record, so the test can tell the two apart on this machine.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { Kafka } from 'kafkajs';
import { config } from '../../platform/config.js';
import { createServedTopics, fetchWaits, kafkaClient } from '../../platform/kafka.js';
import { eventually } from '../support/estate.js';

const RECORDS = 16;
const SPACING_MS = 60;

let kafka: Kafka;
const probe = `ordersaga-fetch-${randomUUID().slice(0, 8)}`;
const groups: string[] = [];

test.before(async () => {
  kafka = kafkaClient('fetch-batching-test');
  const admin = kafka.admin();
  await admin.connect();
  await createServedTopics(admin, [{ topic: probe, numPartitions: 1, replicationFactor: 1 }]);
  await admin.disconnect();
});

test.after.always(async (t) => {
  if (!kafka) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups(groups).catch((error: Error) => t.log(`delete groups: ${error.message}`));
  await admin.deleteTopics({ topics: [probe] }).catch((error: Error) => t.log(`delete topic ${probe}: ${error.message}`));
  await admin.disconnect();
});

/**
 * Joins a group reading `probe` from its end, sends RECORDS records SPACING_MS apart (about a second,
 * as a few orders' events would come), and counts the fetches that brought them.
 */
async function fetchesFor(waits: { minBytes: number; maxWaitTimeInMs: number }): Promise<{ records: number; fetches: number }> {
  const groupId = `${probe}-${groups.length}`;
  groups.push(groupId);
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, ...waits });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const run = randomUUID();
  let records = 0;
  let fetches = 0;
  // A group reading from its end resolves the end at its first fetch: records sent before it ends are not its.
  let fetchesAnswered = 0;
  consumer.on(consumer.events.FETCH, () => {
    fetchesAnswered += 1;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: probe, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const ours = batch.messages.filter((message) => message.key?.toString() === run).length;
        if (ours > 0) fetches += 1;
        records += ours;
      },
    });
    await eventually(
      'the consumer to join its group and finish a first fetch',
      async () => (fetchesAnswered > 0 ? true : undefined),
      30_000,
    );
    await producer.connect();
    for (let sent = 0; sent < RECORDS; sent += 1) {
      await producer.send({ topic: probe, acks: -1, messages: [{ key: run, value: JSON.stringify({ sent }) }] });
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
    }
    await eventually('every record to arrive', async () => (records >= RECORDS ? true : undefined), 30_000);
    return { records, fetches };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
  }
}

test('with the estate settings, records a few per second arrive in a handful of fetches; with minBytes 1, one fetch each', async (t) => {
  t.timeout(120_000);
  const settings = fetchWaits();
  t.is(settings.minBytes, config().CONSUMER_FETCH_MIN_BYTES);
  const batched = await fetchesFor(settings);
  const control = await fetchesFor({ minBytes: 1, maxWaitTimeInMs: settings.maxWaitTimeInMs });
  t.log(
    `estate settings ${JSON.stringify(settings)}: ${batched.fetches} fetches for ${batched.records} records; minBytes 1: ${control.fetches}`,
  );
  t.is(batched.records, RECORDS);
  t.is(control.records, RECORDS);
  // The control shows records this far apart are fetched one by one here (a fetch answers the first).
  t.true(control.fetches >= RECORDS / 2, `control: ${control.fetches} fetches`);
  // About one fetch per wait: the records span RECORDS × SPACING_MS (about a second).
  const bound = Math.ceil((RECORDS * SPACING_MS) / settings.maxWaitTimeInMs) + 2;
  t.true(batched.fetches <= bound, `${batched.fetches} fetches, at most ${bound} expected`);
});
