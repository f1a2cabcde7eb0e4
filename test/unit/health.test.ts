/**
 * Liveness and readiness (platform/health.ts): live never runs a check; ready runs each with a
 * deadline and answers 503 naming the one that failed and why.
 */
import test from 'ava';
import { Hono } from 'hono';
import type { Database } from '../../platform/db.js';
import { databaseReady, mountHealth, type ReadinessCheck } from '../../platform/health.js';

const never = () => new Promise<never>(() => undefined);

function app(checks: ReadinessCheck[]) {
  return mountHealth(new Hono(), checks);
}

test('live answers without running any check; ready and /health run them all', async (t) => {
  let probed = 0;
  const health = app([{ name: 'database', probe: () => void (probed += 1) }]);
  t.is((await health.request('/health/live')).status, 200);
  t.is(probed, 0, 'liveness touched no dependency');
  const ready = await health.request('/health/ready');
  t.is(ready.status, 200);
  t.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok' } });
  t.is((await health.request('/health')).status, 200);
  t.is(probed, 2);
});

test('ready answers 503 as a problem naming the failed dependency, the one that hangs included', async (t) => {
  const health = app([
    { name: 'database', probe: () => undefined },
    {
      name: 'temporalWorker',
      probe: () => {
        throw new Error('the worker on task queue orders is FAILED');
      },
    },
    { name: 'temporal', probe: never },
  ]);
  const live = await health.request('/health/live');
  t.is(live.status, 200, 'a hanging dependency does not touch liveness');
  const ready = await health.request('/health/ready');
  t.is(ready.status, 503);
  t.is(ready.headers.get('content-type'), 'application/problem+json');
  const body = (await ready.json()) as { checks: Record<string, string>; detail: string };
  t.is(body.checks.database, 'ok');
  t.is(body.checks.temporalWorker, 'the worker on task queue orders is FAILED');
  t.regex(body.checks.temporal!, /^no answer within \d+ ms$/);
  t.regex(body.detail, /temporalWorker: the worker on task queue orders is FAILED; temporal: no answer within/);
});

test('a database that does not answer is reported with how busy its pool is', async (t) => {
  const exhausted = { query: never, totalCount: 1, idleCount: 0, waitingCount: 3, options: { max: 1 } } as unknown as Database;
  const body = (await (await app([databaseReady(exhausted)]).request('/health/ready')).json()) as { checks: Record<string, string> };
  t.regex(body.checks.database!, /no answer within \d+ ms \(pool: 1 of 1 connections in use, 3 requests waiting\)/);
});
