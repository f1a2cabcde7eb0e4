/**
 * The order API's accept path (workers/order/api.ts, saga-starts.ts): the 202 goes out once the order
 * is written and Temporal has its saga; the outbox row's deletion is not waited for (a row left behind
 * is the sweeper's, whose start is refused as already started), and a deletion that fails does not
 * turn an accepted order into an error. The sweeper still waits for it.
 */
import test from 'ava';
import type { Client } from '@temporalio/client';
import type { OrderStore } from '../../activities/order/store.js';
import type { Database } from '../../platform/db.js';
import { createOrderApi } from '../../workers/order/api.js';
import { SagaStartSweeper } from '../../workers/order/saga-starts.js';
import { validOrder } from '../support/fixtures.js';

const { payment: _card, ...requested } = validOrder();
const body = {
  ...requested,
  payment: { channel: 'http', cardToken: 'tok_AAAAAAAAAAAAAAAAAAAA', last4: '4242', brand: 'visa', luhnValid: true },
};

/** A Temporal client whose starts succeed at once. */
const temporal = {
  withDeadline: <T>(_deadline: number, call: () => Promise<T>) => call(),
  workflow: { start: () => Promise.resolve({}) },
} as unknown as Client;

function storeWhoseCleanup(cleanup: () => Promise<void>, due: unknown[] = []) {
  return {
    acceptPending: () => Promise.resolve({ created: true }),
    sagaStarted: cleanup,
    sagaStartFailed: () => Promise.resolve(),
    unstartedSagas: () => Promise.resolve(due),
  } as unknown as OrderStore;
}

async function accept(store: OrderStore): Promise<Response> {
  const api = createOrderApi({ db: {} as Database, store, temporal, sagaStartTimeoutMs: 1_000 });
  return api.request('http://order.test/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

test('the 202 does not wait for the outbox row to be cleared', async (t) => {
  let cleared = false;
  const never = new Promise<void>(() => {});
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([
    accept(storeWhoseCleanup(() => never.then(() => void (cleared = true)))),
    new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), 5_000))),
  ]);
  clearTimeout(timer);
  t.not(answered, 'timed out', 'the answer waited for the deletion');
  t.is((answered as Response).status, 202);
  t.false(cleared);
});

test('a deletion that fails leaves the order accepted', async (t) => {
  const answer = await accept(storeWhoseCleanup(() => Promise.reject(new Error('database away'))));
  t.is(answer.status, 202);
});

test('the sweeper waits for the deletion of what it started', async (t) => {
  let cleared = false;
  const store = storeWhoseCleanup(
    () => new Promise<void>((resolve) => setTimeout(() => resolve(void (cleared = true)), 50)),
    [{ input: { orderId: 'o-1', order: body, acceptedAt: new Date().toISOString() }, attempts: 0 }],
  );
  const sweeper = new SagaStartSweeper({ store, temporal }, { intervalMs: 60_000, afterMs: 0, startTimeoutMs: 1_000 });
  t.is(await sweeper.sweep(), 1);
  t.true(cleared);
});
