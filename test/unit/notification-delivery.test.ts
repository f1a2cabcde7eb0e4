/** The notification delivery's retry schedule (consumers/notification/delivery.ts): capped exponential backoff. */
import test from 'ava';
import { deliveryBackoffMs } from '../../consumers/notification/delivery.js';

test('the backoff doubles from its first wait up to its cap, with at most 10 % jitter', (t) => {
  const settings = { backoffInitialMs: 1000, backoffMaxMs: 300_000 };
  t.deepEqual(
    [1, 2, 3, 4, 9, 10, 50].map((attempt) => deliveryBackoffMs(attempt, settings)),
    [1000, 2000, 4000, 8000, 256_000, 300_000, 300_000],
  );
  t.is(deliveryBackoffMs(2, settings, 0.999), 2200);
});
