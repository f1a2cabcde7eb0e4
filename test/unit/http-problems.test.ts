/**
 * platform/http.ts's defaults: an unexpected error is a 500 problem, but a dependency that cannot
 * answer right now (PostgreSQL restarting, a refused connection) is a 503 with Retry-After, so a
 * client and the load generator can tell "try again" from "this is broken".
 */
import test from 'ava';
import { Hono } from 'hono';
import { withProblemDefaults } from '../../platform/http.js';

function appThrowing(error: unknown): Hono {
  const app = withProblemDefaults(new Hono(), 'order');
  app.get('/orders/:id', () => {
    throw error;
  });
  return app;
}

const transient = [
  {
    what: 'PostgreSQL shutting down (57P01)',
    error: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
  },
  { what: 'connection refused', error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) },
  { what: "node-postgres's lost connection", error: new Error('Connection terminated unexpectedly') },
];

for (const { what, error } of transient) {
  test(`${what} answers 503 with Retry-After`, async (t) => {
    const response = await appThrowing(error).request('/orders/1');
    t.is(response.status, 503);
    t.is(response.headers.get('retry-after'), '1');
    t.is(response.headers.get('content-type'), 'application/problem+json');
    t.like(await response.json(), { status: 503, title: 'Service Unavailable' });
  });
}

test('a bug stays a 500, without Retry-After, and its message stays in the log', async (t) => {
  const response = await appThrowing(new TypeError('undefined is not a function')).request('/orders/1');
  t.is(response.status, 500);
  t.is(response.headers.get('retry-after'), null);
  const body = (await response.json()) as { detail: string };
  t.notRegex(body.detail, /undefined is not a function/);
});
