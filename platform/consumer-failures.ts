/**
 * Why a consumer could not apply a record, and what it should do about it (docs/dead-letters.md).
 *
 * - `permanent`: this record will never apply, however often it is tried: it is not a valid event
 *   (`InvalidEventError`: dead-lettered at once, parsing is a pure function of the bytes), or the
 *   database refused its content (SQLSTATE class 22 data exception, class 23 integrity violation:
 *   dead-lettered after CONSUMER_MAX_ATTEMPTS, because a database verdict can depend on a race with
 *   another instance that a retry resolves: the retry then finds the event already processed).
 * - `transient`: the environment is not able to apply anything right now: PostgreSQL unreachable or
 *   shutting down (connection errors, 08, 53, 57P01-03), contention (40001, 40P01, 55P03), a timeout,
 *   a schema or role not in place yet (42, 28, 3D: with parameterised SQL, no record content can
 *   cause those), Kafka failing to take the dead letter. Retried with capped backoff for as long as
 *   it takes; never dead-lettered, because during an outage that would dead-letter every record.
 * - `unknown`: anything else (a bug in a handler, a SQLSTATE nobody expected). Retried like a
 *   transient failure, but only CONSUMER_MAX_ATTEMPTS times; then dead-lettered as
 *   `transient-exhausted`, so one odd record cannot stall its partition for ever.
 */
import { InvalidEventError } from './events/envelope.js';

/** The reasons a dead letter can carry: a small fixed set, used as a metric attribute. */
export type DeadLetterReason = InvalidEventError['kind'] | 'data-exception' | 'integrity-violation' | 'unclassified';

export type ConsumerFailure =
  | { class: 'permanent'; reason: DeadLetterReason; immediate: boolean; code?: string }
  | { class: 'transient'; code?: string }
  | { class: 'unknown'; reason: 'unclassified'; code?: string };

/** Node's socket errors: the peer is not there, or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** node-postgres's own errors for a connection that failed or was lost (they carry no SQLSTATE). */
const PG_CONNECTION_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|not queryable|query read timeout|connection timeout/i;

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** SQLSTATEs and classes (first two characters) that say "not now" rather than "never". */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03', '25P03', '58000', '58030']);
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '53', '28', '3D', '42']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** The error and what it wraps (an AggregateError from a dual-stack connect, a `cause`). */
function* chain(error: unknown, depth = 0): Generator<ErrorLike> {
  if (depth > 4 || error === null || typeof error !== 'object') return;
  const candidate = error as ErrorLike;
  yield candidate;
  if (Array.isArray(candidate.errors)) for (const inner of candidate.errors) yield* chain(inner, depth + 1);
  if (candidate.cause !== undefined) yield* chain(candidate.cause, depth + 1);
}

/** Decides whether a failure to apply a record is permanent, transient or unknown (see the file's header). */
export function classifyConsumerFailure(error: unknown): ConsumerFailure {
  if (error instanceof InvalidEventError) return { class: 'permanent', reason: error.kind, immediate: true };
  for (const link of chain(error)) {
    const code = typeof link.code === 'string' ? link.code : undefined;
    if (code && SQLSTATE.test(code) && !code.startsWith('E')) {
      if (code.startsWith('22')) return { class: 'permanent', reason: 'data-exception', immediate: false, code };
      if (code.startsWith('23')) return { class: 'permanent', reason: 'integrity-violation', immediate: false, code };
      if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2))) return { class: 'transient', code };
      return { class: 'unknown', reason: 'unclassified', code };
    }
    if (code && NETWORK_CODES.has(code)) return { class: 'transient', code };
    const name = typeof link.name === 'string' ? link.name : '';
    // kafkajs: the dead-letter topic (or the offset commit) did not take the record; try again later.
    if (name.startsWith('KafkaJS')) return { class: 'transient', code: name };
    if (typeof link.message === 'string' && PG_CONNECTION_MESSAGES.test(link.message)) return { class: 'transient' };
  }
  const code = (error as ErrorLike | null)?.code;
  return { class: 'unknown', reason: 'unclassified', ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * True when an error says a dependency cannot answer right now (database down or restarting, a
 * peer refusing connections) rather than that the request or the code is wrong. The HTTP APIs
 * answer those with 503 and Retry-After instead of 500.
 */
export function isTransientDependencyFailure(error: unknown): boolean {
  return classifyConsumerFailure(error).class === 'transient';
}

/** How often, and how patiently, a consumer retries a record. */
export interface RetryPolicy {
  /** Attempts before a permanent database failure or an unknown one is dead-lettered. */
  maxAttempts: number;
  /** Wait before the second attempt; doubles each attempt. */
  initialDelayMs: number;
  /** The doubling stops here. */
  maxDelayMs: number;
}

/**
 * Whether the record should go to the dead-letter topic after `attempts` failed attempts (counting
 * the one that just failed); transient failures never go.
 */
export function shouldDeadLetter(failure: ConsumerFailure, attempts: number, policy: RetryPolicy): boolean {
  if (failure.class === 'transient') return false;
  if (failure.class === 'permanent' && failure.immediate) return true;
  return attempts >= policy.maxAttempts;
}

/**
 * The wait after failed attempt number `attempts` (1 = the first attempt failed): exponential,
 * capped, with "equal jitter" (half fixed, half random) so the partitions of a consumer, and the
 * consumers of a group, do not all come back to a recovering database in the same millisecond.
 */
export function retryDelayMs(attempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The `dlq-error-class` of a dead letter: what the consumer knew when it gave up. */
export function deadLetterClass(failure: ConsumerFailure): 'permanent' | 'transient-exhausted' {
  return failure.class === 'permanent' ? 'permanent' : 'transient-exhausted';
}

export function deadLetterReason(failure: ConsumerFailure): DeadLetterReason {
  return failure.class === 'transient' ? 'unclassified' : failure.reason;
}
