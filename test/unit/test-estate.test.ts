/**
 * The test identity `make test` runs its services under (infra/programs/setup/test-estate.ts): every database,
 * the topics, the consumer groups and the Temporal namespace differ from the user's estate.
 */
import test from 'ava';
import { parseEnvironment } from '../../platform/config.js';
import { databaseUrlVariables, testDatabaseUrl, testIdentity } from '../../infra/programs/setup/test-estate.js';
import { compareCensus } from '../support/estate-census.js';

test('the test identity renames every database, the topics, the consumer groups and the namespace', (t) => {
  const user = parseEnvironment({});
  const identity = testIdentity(user);
  t.true(databaseUrlVariables().length >= 6, 'orders, inventory, fulfillment, analytics, notifications, payments');
  for (const variable of databaseUrlVariables()) {
    const url = new URL(identity[variable]!);
    t.is(url.pathname, `${new URL(user[variable]).pathname}_test`, variable);
    t.is(url.username, new URL(user[variable]).username, `${variable}: the same role owns the test database`);
  }
  const test_ = parseEnvironment(identity);
  t.not(test_.TEMPORAL_NAMESPACE, user.TEMPORAL_NAMESPACE);
  t.not(test_.KAFKA_TOPIC_PREFIX, user.KAFKA_TOPIC_PREFIX);
  t.not(test_.KAFKA_CONSUMER_GROUP_PREFIX, user.KAFKA_CONSUMER_GROUP_PREFIX);
});

test("a user's own database URLs get their own twins, and deriving twice changes nothing", (t) => {
  const custom = 'postgres://me:secret@db.example:6432/shop_orders?sslmode=require';
  t.is(testDatabaseUrl(custom), 'postgres://me:secret@db.example:6432/shop_orders_test?sslmode=require');
  t.is(testDatabaseUrl(testDatabaseUrl(custom)), testDatabaseUrl(custom));
  const identity = testIdentity(parseEnvironment({ ORDER_DATABASE_URL: custom }));
  t.is(identity.ORDER_DATABASE_URL, testDatabaseUrl(custom));
});

test('the census comparison names each table, topic and namespace that changed', (t) => {
  const before = {
    databases: { orders: { orders: 3, order_status_history: 9 } },
    topics: { 'ordersaga.order.events': 12 },
    workflows: { default: 3 },
  };
  t.deepEqual(compareCensus(before, structuredClone(before)), []);
  const after = {
    databases: { orders: { orders: 4, order_status_history: 9 }, inventory: { reservations: 1 } },
    topics: { 'ordersaga.order.events': 13 },
    workflows: { default: 4 },
  };
  t.deepEqual(compareCensus(before, after), [
    'database orders, table orders: 3 → 4',
    'database inventory, table reservations: 0 → 1',
    'topic ordersaga.order.events: 12 → 13',
    'Temporal namespace default: 3 → 4',
  ]);
});
