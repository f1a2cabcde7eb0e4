/**
 * platform/kafkajs-request-queue.ts: kafkajs's request queue no longer spins a timer while it has
 * nothing to send, and still sends what is queued behind a throttle or an in-flight limit.
 */
import test from 'ava';
import { RequestQueue } from '../../platform/kafkajs-request-queue.js';

const quietLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function queue(maxInFlightRequests = 10) {
  return new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'test:9092',
    logger: quietLogger,
  }) as unknown as {
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    pending: unknown[];
    checkPendingRequests(): void;
    scheduleCheckPendingRequests(): void;
    destroy(): void;
  };
}

test('an empty, unthrottled queue arms no timer (kafkajs 2.2.4 re-armed one every millisecond)', (t) => {
  const idle = queue();
  idle.checkPendingRequests();
  idle.scheduleCheckPendingRequests();
  t.is(idle.throttleCheckTimeoutId, null);
  idle.destroy();
});

test('a pending request behind a throttle is checked when the throttle ends', async (t) => {
  const throttled = queue();
  let checks = 0;
  // counted, not run: the pending entry is a stand-in, not a socket request to send
  throttled.checkPendingRequests = () => {
    checks += 1;
  };
  throttled.pending.push({});
  throttled.throttledUntil = Date.now() + 30;
  throttled.scheduleCheckPendingRequests();
  t.not(throttled.throttleCheckTimeoutId, null);
  const deadline = Date.now() + 2_000;
  while (checks === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  t.true(checks >= 1);
  throttled.pending.length = 0;
  throttled.destroy();
});

test('a pending request held only by the in-flight limit is looked at again shortly', (t) => {
  const full = queue(0);
  full.pending.push({});
  full.scheduleCheckPendingRequests();
  t.not(full.throttleCheckTimeoutId, null);
  full.pending.length = 0;
  full.destroy();
});
