/**
 * Re-drives dead letters (docs/dead-letters.md): reads the dead-letter topic up to where it ends
 * now, picks the dead letters asked for, and publishes each one's original record (key, value,
 * headers) to the topic it came from, with `dlq-replay-count` raised. The consumers are idempotent
 * (their inbox), so a record a group had applied after all is skipped, and a replay run twice is safe.
 *
 * A record dead-lettered by both consumer groups, or dead-lettered again after a replay, is replayed
 * once per run: dead letters are grouped by the record's first home (`dlq-original-source`) and the
 * latest one counts. One that has already been replayed `maxReplays` times is left alone: it keeps
 * failing, and replaying it again would only loop.
 */
import { randomUUID } from 'node:crypto';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Kafka } from 'kafkajs';
import { type DeadLetter, readDeadLetter, replayMessage, UnreadableDeadLetterError } from '../../platform/dead-letters.js';

export interface ReplaySelection {
  /** Only dead letters written by this consumer group. */
  consumerGroup?: string;
  /** Only dead letters written at or after this time. */
  since?: Date;
  /** Only dead letters written before this time. */
  until?: Date;
  /** Only records that came from this topic. */
  sourceTopic?: string;
  /** Only dead letters with this `dlq-reason`. */
  reason?: string;
  /** At most this many records replayed. */
  limit?: number;
  /** Records already replayed this many times are skipped (the loop guard). */
  maxReplays: number;
}

export interface ReplayOptions extends ReplaySelection {
  kafka: Kafka;
  deadLetterTopic: string;
  /** Show what would be replayed, publish nothing. */
  dryRun: boolean;
  /** Called as the run goes: once the topic is read, and after each record. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Longest time to read the dead-letter topic to its end. */
  readTimeoutMs?: number;
}

/** Why a dead letter was not replayed: its record keeps failing, or the run's `--limit` was reached. */
export interface Skipped {
  deadLetter: DeadLetter;
  kind: 'replay-limit' | 'over-limit';
  why: string;
}

export type ReplayProgress =
  | { step: 'read'; deadLetters: number; unreadable: number }
  | { step: 'replayed' | 'would-replay'; index: number; total: number; deadLetter: DeadLetter }
  | ({ step: 'skipped' } & Skipped);

export interface ReplayReport {
  deadLetterTopic: string;
  dryRun: boolean;
  read: number;
  unreadable: string[];
  /** Dead letters whose record was replayed (or, in a dry run, would be). */
  replayed: DeadLetter[];
  skipped: Skipped[];
}

/** Every dead letter in the topic up to its current end (records written meanwhile wait for the next run). */
export async function readDeadLetterTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs = 60_000,
): Promise<{ deadLetters: DeadLetter[]; unreadable: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter(({ high, low }) => BigInt(high) > BigInt(low)).map(({ partition, high }) => [partition, BigInt(high)]));
  } finally {
    await admin.disconnect();
  }
  const deadLetters: DeadLetter[] = [];
  const unreadable: string[] = [];
  if (ends.size === 0) return { deadLetters, unreadable };

  // A throwaway group, deleted afterwards: a replay run reads from the beginning and commits nothing.
  const groupId = `ordersaga-dlq-replay-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const pending = new Set(ends.keys());
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition);
        if (end === undefined || BigInt(message.offset) >= end) return;
        try {
          deadLetters.push(readDeadLetter(topic, partition, message));
        } catch (error) {
          if (!(error instanceof UnreadableDeadLetterError)) throw error;
          unreadable.push(error.message);
        }
        if (BigInt(message.offset) + 1n >= end) {
          pending.delete(partition);
          if (pending.size === 0) finished();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`reading ${topic} did not reach its end within ${timeoutMs} ms (partitions ${[...pending].join(', ')} left)`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteGroups([groupId]).catch(() => undefined);
    await cleanup.disconnect();
  }
  deadLetters.sort((a, b) => a.time.getTime() - b.time.getTime() || a.position.localeCompare(b.position));
  return { deadLetters, unreadable };
}

/**
 * Which dead letters to replay, oldest first, and which to leave and why. One per record (its first
 * home): the latest dead letter of it, which carries its highest replay count.
 */
export function selectForReplay(deadLetters: DeadLetter[], selection: ReplaySelection): { replay: DeadLetter[]; skipped: Skipped[] } {
  const matching = deadLetters.filter(
    (deadLetter) =>
      (selection.consumerGroup === undefined || deadLetter.consumerGroup === selection.consumerGroup) &&
      (selection.since === undefined || deadLetter.time >= selection.since) &&
      (selection.until === undefined || deadLetter.time < selection.until) &&
      (selection.sourceTopic === undefined || deadLetter.sourceTopic === selection.sourceTopic) &&
      (selection.reason === undefined || deadLetter.reason === selection.reason),
  );
  const latest = new Map<string, DeadLetter>();
  for (const deadLetter of matching) {
    const seen = latest.get(deadLetter.originalSource);
    if (
      !seen ||
      deadLetter.replayCount > seen.replayCount ||
      (deadLetter.replayCount === seen.replayCount && deadLetter.time >= seen.time)
    ) {
      latest.set(deadLetter.originalSource, deadLetter);
    }
  }
  const replay: DeadLetter[] = [];
  const skipped: Skipped[] = [];
  for (const deadLetter of latest.values()) {
    if (deadLetter.replayCount >= selection.maxReplays) {
      skipped.push({
        deadLetter,
        kind: 'replay-limit',
        why: `already replayed ${deadLetter.replayCount} times (limit ${selection.maxReplays})`,
      });
    } else if (selection.limit !== undefined && replay.length >= selection.limit) {
      skipped.push({ deadLetter, kind: 'over-limit', why: `over the limit of ${selection.limit}` });
    } else {
      replay.push(deadLetter);
    }
  }
  return { replay, skipped };
}

export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayReport> {
  const progress = options.onProgress ?? (() => undefined);
  const { deadLetters, unreadable } = await readDeadLetterTopic(options.kafka, options.deadLetterTopic, options.readTimeoutMs);
  progress({ step: 'read', deadLetters: deadLetters.length, unreadable: unreadable.length });
  const { replay, skipped } = selectForReplay(deadLetters, options);
  for (const entry of skipped) progress({ step: 'skipped', ...entry });
  const report: ReplayReport = {
    deadLetterTopic: options.deadLetterTopic,
    dryRun: options.dryRun,
    read: deadLetters.length,
    unreadable,
    replayed: [],
    skipped,
  };
  if (options.dryRun) {
    replay.forEach((deadLetter, index) => progress({ step: 'would-replay', index: index + 1, total: replay.length, deadLetter }));
    report.replayed = replay;
    return report;
  }
  if (replay.length === 0) return report;
  const producer = options.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const [index, deadLetter] of replay.entries()) {
      // Untraced, so a process with telemetry on keeps the record's own traceparent header.
      await context.with(suppressTracing(context.active()), () =>
        producer.send({ topic: deadLetter.sourceTopic, acks: -1, messages: [replayMessage(deadLetter)] }),
      );
      report.replayed.push(deadLetter);
      progress({ step: 'replayed', index: index + 1, total: replay.length, deadLetter });
    }
  } finally {
    await producer.disconnect();
  }
  return report;
}
