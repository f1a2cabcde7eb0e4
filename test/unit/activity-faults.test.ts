/**
 * platform/faults.ts: an activity given a fault is slowed (before or after its work) or fails with
 * a retryable InjectedFault; without one it is the original; the admin API validates, replaces and
 * clears the faults, and refuses a name that is no activity of the worker.
 */
import test from 'ava';
import { ApplicationFailure } from '@temporalio/common';
import { FaultBook, faultApi, INJECTED_FAULT, withFaults } from '../../platform/faults.js';

function worker() {
  const calls: string[] = [];
  const book = new FaultBook();
  const activities = withFaults(
    {
      async reserveStock(orderId: string) {
        calls.push(`reserve ${orderId} at ${Math.round(performance.now())}`);
        return `reserved ${orderId}`;
      },
      async releaseStock(orderId: string) {
        calls.push(`release ${orderId}`);
        return true;
      },
    },
    book,
    () => 0, // jitter draws 0; errorRate > 0 always fails
  );
  return { book, activities, calls };
}

test('without a fault an activity is the original', async (t) => {
  const { activities, calls } = worker();
  t.is(await activities.reserveStock('o1'), 'reserved o1');
  t.is(calls.length, 1);
});

test('latency before the work delays the work itself; after it, only the answer', async (t) => {
  const { book, activities, calls } = worker();
  book.replace({ reserveStock: { latencyMs: 300, jitterMs: 0, phase: 'before', errorRate: 0 } });
  const started = performance.now();
  await activities.reserveStock('o1');
  const workAt = Number(calls[0]!.split(' at ')[1]);
  t.true(workAt - started >= 290, 'the work began after the delay');

  book.replace({ reserveStock: { latencyMs: 300, jitterMs: 0, phase: 'after', errorRate: 0 } });
  await activities.reserveStock('o2');
  const finished = performance.now();
  const secondWorkAt = Number(calls[1]!.split(' at ')[1]);
  // Lower bounds only: a timer never fires early, however busy the machine.
  t.true(finished - secondWorkAt >= 290, 'the answer came a delay after the work');
  t.is(calls.filter((call) => call.startsWith('release')).length, 0, 'other activities are untouched');
});

test('an error rate fails the call with a retryable InjectedFault, before any work', async (t) => {
  const { book, activities, calls } = worker();
  book.replace({ releaseStock: { latencyMs: 0, jitterMs: 0, phase: 'before', errorRate: 1 } });
  const error = await t.throwsAsync(activities.releaseStock('o1'), { instanceOf: ApplicationFailure });
  t.is(error?.type, INJECTED_FAULT);
  t.false(error?.nonRetryable);
  t.deepEqual(calls, []);
});

test('the admin API: PUT replaces, GET shows, DELETE clears, an unknown activity is a 400 that changes nothing', async (t) => {
  const { book } = worker();
  const app = faultApi(book);
  const put = (body: unknown) =>
    app.request('/admin/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const set = await put({ reserveStock: { latencyMs: 3000 } });
  t.is(set.status, 200);
  t.deepEqual(await set.json(), {
    faults: { reserveStock: { latencyMs: 3000, jitterMs: 0, phase: 'before', errorRate: 0 } },
    activities: ['releaseStock', 'reserveStock'],
  });

  const unknown = await put({ reserveStok: { latencyMs: 1 } });
  t.is(unknown.status, 400);
  t.regex(((await unknown.json()) as { detail: string }).detail, /no activity named reserveStok/);
  t.truthy(book.get('reserveStock'), 'the earlier faults stand');

  const invalid = await put({ reserveStock: { latencyMs: -5 } });
  t.is(invalid.status, 400);

  await put({ releaseStock: { errorRate: 0.5 } });
  t.is(book.get('reserveStock'), undefined, 'PUT replaces every fault');
  const shown = (await (await app.request('/admin/faults')).json()) as { faults: Record<string, unknown> };
  t.deepEqual(Object.keys(shown.faults), ['releaseStock']);

  const cleared = await app.request('/admin/faults', { method: 'DELETE' });
  t.deepEqual(((await cleared.json()) as { faults: object }).faults, {});
});
