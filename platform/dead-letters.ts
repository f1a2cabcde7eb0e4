/**
 * The dead-letter record: what a consumer writes to the dead-letter topic when it gives up on a
 * record, and what `make dlq-replay` reads back to re-drive it (docs/dead-letters.md). One place for
 * the header names, so the writer and the reader cannot drift apart.
 *
 * The record is the original, untouched: same key, same value bytes, same headers (`traceparent`
 * included, so the dead letter and its replay stay in the order's trace), plus `dlq-*` headers that
 * say why, where from, by whom, after how many attempts and when.
 */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

export const deadLetterHeaders = {
  /** Why, in a small fixed set: malformed-json, bad-envelope, unknown-type, schema-violation, subject-mismatch, data-exception, integrity-violation, unclassified. */
  reason: 'dlq-reason',
  /** The error's message (at most 1000 characters). */
  detail: 'dlq-detail',
  /** `permanent` (will never apply) or `transient-exhausted` (not known to be permanent, but kept failing). */
  errorClass: 'dlq-error-class',
  /** The SQLSTATE or system error code, when there is one. */
  errorCode: 'dlq-error-code',
  /** `<topic>/<partition>/<offset>` of the record, and the same three as separate headers. */
  source: 'dlq-source',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  consumerGroup: 'dlq-consumer-group',
  /** How many times the consumer tried the record before giving up. */
  attempts: 'dlq-attempts',
  /** When it gave up (ISO 8601, UTC). */
  time: 'dlq-time',
  /** Set by a replay on the record it re-publishes: how many times this record has been replayed. */
  replayCount: 'dlq-replay-count',
  /** Set by a replay: where the record was first published (its first dead letter's source), kept across replays. */
  originalSource: 'dlq-original-source',
} as const;

const DLQ_PREFIX = 'dlq-';
/** Headers a replayed record keeps: the loop guard and the record's first home. */
const KEPT_ON_REPLAY = new Set<string>([deadLetterHeaders.replayCount, deadLetterHeaders.originalSource]);

export interface DeadLetterCause {
  reason: string;
  errorClass: 'permanent' | 'transient-exhausted';
  message: string;
  code?: string;
  attempts: number;
}

export interface SourceRecord {
  group: string;
  topic: string;
  partition: number;
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>;
}

/** The dead letter of `source`: the original record untouched, plus the `dlq-*` headers. */
export function deadLetterMessage(source: SourceRecord, cause: DeadLetterCause, now: Date = new Date()): Message {
  const { group, topic, partition, message } = source;
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [deadLetterHeaders.reason]: cause.reason,
      [deadLetterHeaders.detail]: cause.message.slice(0, 1000),
      [deadLetterHeaders.errorClass]: cause.errorClass,
      ...(cause.code ? { [deadLetterHeaders.errorCode]: cause.code } : {}),
      [deadLetterHeaders.source]: `${topic}/${partition}/${message.offset}`,
      [deadLetterHeaders.sourceTopic]: topic,
      [deadLetterHeaders.sourcePartition]: String(partition),
      [deadLetterHeaders.sourceOffset]: message.offset,
      [deadLetterHeaders.consumerGroup]: group,
      [deadLetterHeaders.attempts]: String(cause.attempts),
      [deadLetterHeaders.time]: now.toISOString(),
    },
  };
}

/** A header's value as text (the first, when a header is repeated). */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** A dead letter as read back from the dead-letter topic. */
export interface DeadLetter {
  /** Where the dead letter itself sits: `<dead-letter topic>/<partition>/<offset>`. */
  position: string;
  message: KafkaMessage;
  reason: string;
  errorClass: string;
  detail: string;
  consumerGroup: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  /** The record's first home, the same across replays: what a replay run deduplicates on. */
  originalSource: string;
  attempts: number;
  time: Date;
  replayCount: number;
}

export class UnreadableDeadLetterError extends Error {
  constructor(position: string, missing: string) {
    super(`dead letter ${position} has no ${missing} header: it was not written by an ordersaga consumer`);
    this.name = 'UnreadableDeadLetterError';
  }
}

/**
 * Reads the headers of a dead letter. Dead letters written before the separate source headers
 * existed carry only `dlq-source` (`topic/partition/offset`) and no time; both are recovered.
 */
export function readDeadLetter(topic: string, partition: number, message: KafkaMessage): DeadLetter {
  const position = `${topic}/${partition}/${message.offset}`;
  const get = (name: string) => headerText(message.headers, name);
  const source = get(deadLetterHeaders.source);
  const fromSource = source?.match(/^(.+)\/(\d+)\/(\d+)$/);
  const sourceTopic = get(deadLetterHeaders.sourceTopic) ?? fromSource?.[1];
  const sourcePartition = get(deadLetterHeaders.sourcePartition) ?? fromSource?.[2];
  const sourceOffset = get(deadLetterHeaders.sourceOffset) ?? fromSource?.[3];
  if (sourceTopic === undefined || sourcePartition === undefined || sourceOffset === undefined) {
    throw new UnreadableDeadLetterError(position, deadLetterHeaders.source);
  }
  const time = get(deadLetterHeaders.time);
  return {
    position,
    message,
    reason: get(deadLetterHeaders.reason) ?? 'unknown',
    errorClass: get(deadLetterHeaders.errorClass) ?? 'permanent',
    detail: get(deadLetterHeaders.detail) ?? '',
    consumerGroup: get(deadLetterHeaders.consumerGroup) ?? '',
    sourceTopic,
    sourcePartition: Number(sourcePartition),
    sourceOffset,
    originalSource: get(deadLetterHeaders.originalSource) ?? `${sourceTopic}/${sourcePartition}/${sourceOffset}`,
    attempts: Number(get(deadLetterHeaders.attempts) ?? 1),
    // The record's own timestamp is when the consumer wrote the dead letter.
    time: new Date(time ?? Number(message.timestamp)),
    replayCount: Number(get(deadLetterHeaders.replayCount) ?? 0),
  };
}

/**
 * The record a replay publishes to the dead letter's source topic: the original key, value and
 * headers (the consumer's `dlq-*` headers removed), with the replay count raised by one and the
 * record's first home kept, so a record that keeps failing is recognised and not replayed for ever.
 */
export function replayMessage(deadLetter: DeadLetter): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(deadLetter.message.headers ?? {})) {
    if (name.startsWith(DLQ_PREFIX) && !KEPT_ON_REPLAY.has(name)) continue;
    headers[name] = value;
  }
  headers[deadLetterHeaders.replayCount] = String(deadLetter.replayCount + 1);
  headers[deadLetterHeaders.originalSource] = deadLetter.originalSource;
  return { key: deadLetter.message.key, value: deadLetter.message.value, headers };
}
