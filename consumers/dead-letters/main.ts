/**
 * `make dlq-replay ARGS="..."`: re-drives dead letters to the topics they came from, once what made
 * them fail is fixed (docs/dead-letters.md). Prints each record as it goes and a summary; `--json`
 * prints the report instead.
 *
 *   make dlq-replay ARGS="--dry-run"                          what would be replayed
 *   make dlq-replay ARGS="--consumer analytics --since 2h"    analytics' dead letters of the last two hours
 *   make dlq-replay ARGS="--reason data-exception --limit 10"
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type DeadLetter, headerText } from '../../platform/dead-letters.js';
import { deadLetterTopic } from '../../platform/events/catalog.js';
import { kafkaClient } from '../../platform/kafka.js';
import { type ReplayProgress, type ReplayReport, replayDeadLetters } from './replay.js';

const usage = `usage: make dlq-replay ARGS="[options]"   (or: npx tsx consumers/dead-letters/main.ts [options])

  --consumer <group>     only dead letters written by this consumer group (analytics, notification)
  --since <time>         only dead letters written at or after: ISO 8601 (2026-11-28T08:00:00Z) or an age (30m, 2h, 1d)
  --until <time>         only dead letters written before (same forms)
  --source-topic <name>  only records that came from this topic
  --reason <reason>      only this dlq-reason (e.g. data-exception, schema-violation)
  --limit <n>            replay at most n records
  --max-replays <n>      skip records already replayed n times (default 3): they keep failing
  --topic <name>         the dead-letter topic to read (default ${deadLetterTopic})
  --dry-run              show what would be replayed; publish nothing
  --json                 print the report as JSON
  --help`;

/** An ISO 8601 time, or an age back from now such as 30m, 2h, 1d. */
const when = z.string().transform((text, ctx) => {
  const age = text.match(/^(\d+)(s|m|h|d)$/);
  if (age) {
    const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(age[1]) * unitMs);
  }
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time.getTime())) {
    ctx.addIssue({ code: 'custom', message: `not an ISO 8601 time or an age like 30m: ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return time;
});
const count = z.coerce.number().int().min(0);

const argumentsSchema = z.object({
  consumer: z.string().min(1).optional(),
  since: when.optional(),
  until: when.optional(),
  'source-topic': z.string().min(1).optional(),
  reason: z.string().min(1).optional(),
  limit: count.optional(),
  'max-replays': count.default(3),
  topic: z.string().min(1).default(deadLetterTopic),
  'dry-run': z.boolean().default(false),
  json: z.boolean().default(false),
});

function parseCommandLine() {
  const { values } = parseArgs({
    options: {
      consumer: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'source-topic': { type: 'string' },
      reason: { type: 'string' },
      limit: { type: 'string' },
      'max-replays': { type: 'string' },
      topic: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const parsed = argumentsSchema.safeParse(values);
  if (!parsed.success) throw new Error(`${z.prettifyError(parsed.error)}\n\n${usage}`);
  return parsed.data;
}

function describe(deadLetter: DeadLetter): string {
  const type = headerText(deadLetter.message.headers, 'ce_type');
  const key = deadLetter.message.key?.toString() ?? '(no key)';
  return (
    `${deadLetter.sourceTopic}/${deadLetter.sourcePartition}/${deadLetter.sourceOffset} key ${key}${type ? ` ${type}` : ''}: ` +
    `${deadLetter.consumerGroup} ${deadLetter.errorClass} ${deadLetter.reason} after ${deadLetter.attempts} attempt(s) at ${deadLetter.time.toISOString()}` +
    (deadLetter.replayCount > 0 ? `, replayed ${deadLetter.replayCount} time(s) before` : '')
  );
}

function printProgress(progress: ReplayProgress): void {
  switch (progress.step) {
    case 'read':
      console.log(
        `[dlq-replay] read ${progress.deadLetters} dead letter(s)${progress.unreadable > 0 ? `, ${progress.unreadable} unreadable` : ''}`,
      );
      break;
    case 'skipped':
      // Records left for a later run by --limit are only counted in the summary.
      if (progress.kind === 'replay-limit') console.log(`[dlq-replay] skip ${describe(progress.deadLetter)} (${progress.why})`);
      break;
    case 'would-replay':
    case 'replayed':
      console.log(
        `[dlq-replay] ${progress.index}/${progress.total} ${progress.step === 'replayed' ? 'replayed' : 'would replay'} ${describe(progress.deadLetter)}`,
      );
      if (progress.deadLetter.detail) console.log(`             ${progress.deadLetter.detail.split('\n')[0]}`);
      break;
  }
}

/** The report as JSON: the dead letters by position and source, without their bytes. */
function reportJson(report: ReplayReport) {
  const entry = (deadLetter: DeadLetter) => ({
    position: deadLetter.position,
    source: `${deadLetter.sourceTopic}/${deadLetter.sourcePartition}/${deadLetter.sourceOffset}`,
    originalSource: deadLetter.originalSource,
    key: deadLetter.message.key?.toString() ?? null,
    consumerGroup: deadLetter.consumerGroup,
    reason: deadLetter.reason,
    errorClass: deadLetter.errorClass,
    attempts: deadLetter.attempts,
    time: deadLetter.time.toISOString(),
    replayCount: deadLetter.replayCount,
  });
  return {
    deadLetterTopic: report.deadLetterTopic,
    dryRun: report.dryRun,
    read: report.read,
    unreadable: report.unreadable,
    replayed: report.replayed.map(entry),
    skipped: report.skipped.map(({ deadLetter, kind, why }) => ({ ...entry(deadLetter), kind, why })),
  };
}

let args: ReturnType<typeof parseCommandLine>;
try {
  args = parseCommandLine();
} catch (error) {
  console.error(`[dlq-replay] ${(error as Error).message}`);
  process.exit(2);
}

const report = await replayDeadLetters({
  kafka: kafkaClient('dlq-replay'),
  deadLetterTopic: args.topic,
  dryRun: args['dry-run'],
  maxReplays: args['max-replays'],
  ...(args.consumer !== undefined ? { consumerGroup: args.consumer } : {}),
  ...(args.since !== undefined ? { since: args.since } : {}),
  ...(args.until !== undefined ? { until: args.until } : {}),
  ...(args['source-topic'] !== undefined ? { sourceTopic: args['source-topic'] } : {}),
  ...(args.reason !== undefined ? { reason: args.reason } : {}),
  ...(args.limit !== undefined ? { limit: args.limit } : {}),
  ...(args.json ? {} : { onProgress: printProgress }),
});
if (args.json) {
  console.log(JSON.stringify(reportJson(report), null, 2));
} else {
  const verb = report.dryRun ? 'would replay' : 'replayed';
  const looping = report.skipped.filter((entry) => entry.kind === 'replay-limit').length;
  const later = report.skipped.length - looping;
  console.log(
    `[dlq-replay] done: ${verb} ${report.replayed.length} record(s) of ${report.read} dead letter(s) in ${report.deadLetterTopic}` +
      (looping > 0 ? `; skipped ${looping} at the replay limit` : '') +
      (later > 0 ? `; ${later} left by --limit` : '') +
      (report.dryRun ? ' (dry run: nothing published)' : ''),
  );
}
