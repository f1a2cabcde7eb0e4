/**
 * What a service process does when a dependency fails (platform/service.ts, platform/health.ts,
 * docs/saga.md "Accepting an order"), each against real service processes started here, on a
 * Temporal dev server of this file's own (so the suite's estate never sees their workers):
 *
 * - a worker whose `run()` rejects stops its process through the stop sequence, which exits 1
 *   naming the cause (a supervisor then restarts it);
 * - POST /orders with Temporal not answering holds no database connection: with a pool of one,
 *   /health/live answers, /health/ready says Temporal is the problem and the database is fine, the
 *   order is accepted, and its saga starts once Temporal answers again (the sweeper). That service
 *   has its order tables in a schema of its own, so its sweeper never touches the suite's orders.
 */
import test from 'ava';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { CardVaultClient } from '../../platform/card-vault.js';
import { config } from '../../platform/config.js';
import { orderWorkflowType, workflowIdFor } from '../../platform/contracts/workflow.js';
import { orderIdFor } from '../../workers/order/api.js';
import { eventually, queryDatabase } from '../support/estate.js';
import { FreezableProxy, freePort, startServiceProcess, waitForHealth } from '../support/service-process.js';
import { startTestTemporal } from '../support/temporal.js';
import { PLANTED_WORKER_ERROR } from '../support/worker-fault.js';

let temporal: TestWorkflowEnvironment;

/** The order service's tables in a fresh schema of the orders database, and the URL that uses it. */
async function scratchOrderSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = config().ORDER_DATABASE_URL;
  const schema = `health_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await runner({
    databaseUrl: base,
    dir: fileURLToPath(new URL('../../activities/order/migrations', import.meta.url)),
    schema,
    createSchema: true,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    log: () => undefined,
  });
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: async () => void (await queryDatabase(base, `DROP SCHEMA ${schema} CASCADE`)) };
}
/** Kafka where nothing listens: these processes must not publish into any estate. */
let noKafka: string;

test.before(async () => {
  temporal = await startTestTemporal();
  noKafka = `127.0.0.1:${await freePort()}`;
});
test.after.always(async () => {
  await temporal?.teardown();
});

test('a worker whose run() rejects stops its process through the stop sequence, exit 1 naming the cause', async (t) => {
  t.timeout(150_000);
  const inventory = await startServiceProcess({
    entry: 'workers/inventory/main.ts',
    portVariable: 'INVENTORY_PORT',
    preload: ['test/support/worker-fault.ts'],
    env: { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: 'default', KAFKA_BROKERS: noKafka, SHUTDOWN_TIMEOUT_MS: '20000' },
  });
  t.teardown(() => inventory.stop());
  const ready = await waitForHealth(inventory, '/health/ready');
  t.is(ready.checks.temporalWorker, 'ok');

  inventory.child.kill('SIGWINCH'); // the worker fails as on a fatal SDK error
  const exit = await Promise.race([
    inventory.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the process did not exit within 60 s')), 60_000).unref()),
  ]);
  t.deepEqual(exit, { code: 1, signal: null }, 'exit 1, so a supervisor restarts it');
  const logged = inventory.lines.flatMap((line) => (line.json ? [line.json] : []));
  const fatal = logged.find((line) => line.level === 'fatal');
  t.truthy(
    fatal,
    `a fatal log line; got: ${inventory.lines
      .slice(-6)
      .map((line) => line.raw)
      .join('\n')}`,
  );
  t.regex(String(fatal?.msg), /Temporal worker \(task queue inventory, default\) failed: planted fatal worker error; stopping/);
  t.true(String(fatal?.msg).includes(PLANTED_WORKER_ERROR));
  t.truthy(
    logged.find((line) => line.msg === 'inventory stopped' && line.exitCode === 1),
    'the stop sequence ran to its end',
  );
});

test('POST /orders with Temporal not answering holds no pool connection: live answers, ready says why, the saga starts later', async (t) => {
  t.timeout(150_000);
  const proxy = new FreezableProxy({ host: temporal.address.split(':')[0]!, port: Number(temporal.address.split(':')[1]) });
  await proxy.start();
  t.teardown(() => proxy.close());
  const customerId = `health-${randomUUID().slice(0, 8)}`;
  const key = randomUUID();
  const orderId = orderIdFor(customerId, key);
  // A schema of its own in the orders database: this service's sweeper must never take the saga
  // starts of the suite's order service (it would start them on this file's Temporal).
  const { url: orders, drop } = await scratchOrderSchema();
  t.teardown(drop);
  const order = await startServiceProcess({
    entry: 'workers/order/main.ts',
    portVariable: 'ORDER_PORT',
    env: {
      TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`,
      TEMPORAL_NAMESPACE: 'default',
      KAFKA_BROKERS: noKafka,
      ORDER_DATABASE_URL: orders,
      DATABASE_POOL_SIZE: '1',
      ORDER_WORKFLOW_START_TIMEOUT_MS: '6000',
      READINESS_CHECK_TIMEOUT_MS: '1500',
      ORDER_SAGA_SWEEP_INTERVAL_MS: '500',
      ORDER_SAGA_SWEEP_AFTER_MS: '1000',
    },
  });
  t.teardown(() => order.stop()); // before the schema goes (teardowns run last registered first)
  await waitForHealth(order, '/health/ready');

  // As the gateway relays an order: the vault's token, never the number (docs/decisions.md).
  const card = await new CardVaultClient(config().PAYMENT_VAULT_URL).tokenize('4242424242424242');
  proxy.freeze();
  let answered = false;
  const accepted = fetch(order.url('/orders'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({
      customerId,
      items: [{ sku: 'KB-001', quantity: 1 }],
      payment: { channel: 'http', ...card },
      shippingAddress: { name: 'Alex Smith', line1: '221B Baker Street', city: 'London', postalCode: 'NW1 6XE', country: 'GB' },
    }),
  }).then(async (response) => {
    answered = true;
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  });

  // The order is committed before the saga start is asked for…
  await eventually(
    'the PENDING order committed while its saga start waits on Temporal',
    async () => {
      const rows = await queryDatabase<{ status: string }>(orders, 'SELECT status FROM orders WHERE order_id = $1', [orderId]);
      return rows[0]?.status === 'PENDING' ? true : undefined;
    },
    15_000,
  );
  t.false(answered, 'the request still waits for Temporal');
  // …so while it waits, the only pool connection is free: liveness answers, readiness names Temporal.
  const live = await fetch(order.url('/health/live'), { signal: AbortSignal.timeout(1_000) });
  t.is(live.status, 200);
  const ready = await fetch(order.url('/health/ready'), { signal: AbortSignal.timeout(5_000) });
  const readiness = (await ready.json()) as { checks: Record<string, string>; detail: string };
  t.is(ready.status, 503);
  t.is(readiness.checks.database, 'ok', `the database answers with a pool of one: ${JSON.stringify(readiness.checks)}`);
  t.regex(readiness.checks.temporal ?? '', /does not answer|no answer/);
  t.false(answered, 'the readiness answer came while the start was still waiting');

  const answer = await accepted;
  t.is(answer.status, 202, JSON.stringify(answer.body));
  t.like(answer.body, { orderId, status: 'PENDING', sagaStart: 'deferred' });

  // Temporal answers again: the sweeper starts the saga (once: the workflow id is the order's).
  proxy.thaw();
  const description = await eventually(
    'the sweeper to start the saga',
    async () => {
      const rows = await queryDatabase(orders, 'SELECT 1 FROM order_saga_starts WHERE order_id = $1', [orderId]);
      if (rows.length > 0) return undefined;
      return temporal.client.workflow.getHandle(workflowIdFor(orderId)).describe();
    },
    60_000,
    500,
  );
  t.is(description.type, orderWorkflowType);
  await temporal.client.workflow
    .getHandle(workflowIdFor(orderId))
    .terminate('test over')
    .catch(() => undefined);
  t.truthy(
    order.lines.find((line) => line.json?.msg?.includes('saga start repaired by the sweeper')),
    'the sweeper logged the repair',
  );
});
