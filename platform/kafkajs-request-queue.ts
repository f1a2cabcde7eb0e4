/**
 * A fix to kafkajs's request queue, applied once when platform/kafka.ts is loaded: kafkajs 2.2.4 (its
 * last release; the project is unmaintained, tulios/kafkajs#1556, #1704, #1751) re-arms a timer in
 * `scheduleCheckPendingRequests` after every check even when nothing is pending and nothing is
 * throttled, with a negative delay (`throttledUntil` is -1), i.e. every millisecond, for every broker
 * connection, for ever. At rest that timer loop was most of each idle consumer's CPU (profile of
 * analytics at rest: timers and `scheduleCheckPendingRequests` ~40 % of its busy samples), and Node 24
 * warns about each negative delay (TimeoutNegativeWarning).
 *
 * Here the queue is checked only when it has something to check: a pending request (as before: when
 * the throttle ends, or every 10 ms while only in-flight limits hold it), or a throttle still running.
 * Nothing is lost by not polling an empty queue: `push` schedules a check for every request it queues,
 * and every fulfilled request checks the queue again (kafkajs's own comment says so).
 */
import { createRequire } from 'node:module';

interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own constant: how often a pending request held back only by in-flight limits is looked at. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

const require = createRequire(import.meta.url);
/** The class kafkajs's connections use (the same module instance: CommonJS caches it by path). */
export const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
  new (options: object): RequestQueueInternals;
  prototype: RequestQueueInternals;
};

RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  const throttledForMs = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && throttledForMs <= 0) return;
  const delayMs = throttledForMs > 0 ? throttledForMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
};
