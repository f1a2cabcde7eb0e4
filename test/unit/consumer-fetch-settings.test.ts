/**
 * The domain consumers fetch with the configured waits (platform/kafka.ts `fetchWaits`): the broker
 * answers once CONSUMER_FETCH_MIN_BYTES are there or CONSUMER_FETCH_MAX_WAIT_MS passed. The real
 * broker's side is test/integration/consumer-fetch-batching.test.ts; here, that `startEventConsumer`
 * passes them on, and the defaults and their limits.
 */
import test from 'ava';
import type { ConsumerConfig, Kafka } from 'kafkajs';
import pg from 'pg';
import { parseEnvironment } from '../../platform/config.js';
import { startEventConsumer } from '../../platform/kafka.js';

test('the defaults batch fetches (64 KiB or a second) and commit offsets once a second', (t) => {
  const defaults = parseEnvironment({});
  t.is(defaults.CONSUMER_FETCH_MIN_BYTES, 65_536);
  t.is(defaults.CONSUMER_FETCH_MAX_WAIT_MS, 1000);
  t.is(defaults.CONSUMER_COMMIT_INTERVAL_MS, 1000);
  t.throws(() => parseEnvironment({ CONSUMER_FETCH_MIN_BYTES: '0' }), { message: /CONSUMER_FETCH_MIN_BYTES/ });
  t.throws(() => parseEnvironment({ CONSUMER_FETCH_MAX_WAIT_MS: '60000' }), { message: /CONSUMER_FETCH_MAX_WAIT_MS/ });
  t.throws(() => parseEnvironment({ CONSUMER_COMMIT_INTERVAL_MS: 'often' }), { message: /CONSUMER_COMMIT_INTERVAL_MS/ });
});

test('startEventConsumer asks the broker with the configured fetch waits', async (t) => {
  const seen: ConsumerConfig[] = [];
  const refused = new Error('no broker in a unit test');
  const kafka = {
    consumer: (settings: ConsumerConfig) => {
      seen.push(settings);
      return { connect: () => Promise.reject(refused) };
    },
    producer: () => ({}),
  } as unknown as Kafka;
  const database = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
  try {
    await t.throwsAsync(startEventConsumer({ kafka, groupId: 'fetch-settings', database, handle: async () => undefined }), { is: refused });
  } finally {
    await database.end();
  }
  t.is(seen.length, 1);
  t.is(seen[0]!.minBytes, 65_536);
  t.is(seen[0]!.maxWaitTimeInMs, 1000);
});
