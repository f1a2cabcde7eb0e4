/**
 * A census of an estate: the rows of every table in each service database, the messages in each of
 * its Kafka topics, and the workflows in its Temporal namespace. `make test` takes one of the user's
 * estate (the configuration it is run with, before the test identity applies) before the suite and
 * compares after it: any difference means the suite wrote into the user's estate, and the run fails
 * naming what changed (infra/local/test.sh; the test identity is infra/programs/setup/test-estate.ts).
 *
 *   npx tsx test/support/estate-census.ts take FILE       write the census to FILE (JSON)
 *   npx tsx test/support/estate-census.ts compare FILE    take it again; exit 1 and list what changed
 *
 * A database that does not exist yet (a fresh machine) counts as empty.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { config } from '../../platform/config.js';
import { temporalConnectionSettings } from '../../platform/connections.js';
import { deadLetterTopic, topics } from '../../platform/events/catalog.js';
import { kafkaClient } from '../../platform/kafka.js';
import { databaseUrlVariables } from '../../infra/programs/setup/test-estate.js';

export interface Census {
  /** database → table → rows */
  databases: Record<string, Record<string, number>>;
  /** topic → messages ever written (sum of the partitions' high watermarks) */
  topics: Record<string, number>;
  /** namespace → workflow executions */
  workflows: Record<string, number>;
}

async function countRows(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return {}; // no such database: nothing written
    throw error;
  }
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const { rows } = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM "${name.replaceAll('"', '""')}"`);
      counts[name] = rows[0]!.count;
    }
    return counts;
  } finally {
    await client.end();
  }
}

async function countMessages(): Promise<Record<string, number>> {
  const admin = kafkaClient('census').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const counts: Record<string, number> = {};
    for (const topic of [...Object.values(topics), deadLetterTopic].filter((name) => existing.has(name))) {
      const offsets = await admin.fetchTopicOffsets(topic);
      counts[topic] = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

async function countWorkflows(): Promise<Record<string, number>> {
  const env = config();
  const connection = await Connection.connect(temporalConnectionSettings(env));
  try {
    const { count } = await connection.workflowService.countWorkflowExecutions({ namespace: env.TEMPORAL_NAMESPACE });
    return { [env.TEMPORAL_NAMESPACE]: Number(count) };
  } finally {
    await connection.close();
  }
}

export async function takeCensus(): Promise<Census> {
  const env = config();
  const databases: Census['databases'] = {};
  for (const variable of databaseUrlVariables()) {
    const url = env[variable];
    databases[decodeURIComponent(new URL(url).pathname.slice(1))] = await countRows(url);
  }
  return { databases, topics: await countMessages(), workflows: await countWorkflows() };
}

/** Every count that differs, as `what: before → after`. */
export function compareCensus(before: Census, after: Census): string[] {
  const changes: string[] = [];
  const compare = (what: string, a: Record<string, number>, b: Record<string, number>) => {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if ((a[key] ?? 0) !== (b[key] ?? 0)) changes.push(`${what}${key}: ${a[key] ?? 0} → ${b[key] ?? 0}`);
    }
  };
  for (const database of new Set([...Object.keys(before.databases), ...Object.keys(after.databases)])) {
    compare(`database ${database}, table `, before.databases[database] ?? {}, after.databases[database] ?? {});
  }
  compare('topic ', before.topics, after.topics);
  compare('Temporal namespace ', before.workflows, after.workflows);
  return changes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, file] = process.argv.slice(2);
  if (!file || (command !== 'take' && command !== 'compare')) {
    console.error('usage: estate-census.ts take|compare FILE');
    process.exit(2);
  }
  const census = await takeCensus();
  const where = `${Object.keys(census.databases).length} databases, ${Object.keys(census.topics).length} topics, namespace ${Object.keys(census.workflows).join(', ')}`;
  if (command === 'take') {
    writeFileSync(file, JSON.stringify(census, null, 2));
    console.log(`[census] the user's estate before the suite: ${where}`);
  } else {
    const changes = compareCensus(JSON.parse(readFileSync(file, 'utf8')) as Census, census);
    if (changes.length > 0) {
      console.log(`[census] FAILED: the suite changed the user's estate:\n  ${changes.join('\n  ')}`);
      process.exit(1);
    }
    const rows = Object.values(census.databases).reduce((sum, tables) => sum + Object.values(tables).reduce((a, b) => a + b, 0), 0);
    console.log(
      `[census] the user's estate is as the suite found it: ${where} (${rows} rows, ${Object.values(census.topics).reduce((a, b) => a + b, 0)} messages, ${Object.values(census.workflows)[0]} workflows)`,
    );
  }
  process.exit(0);
}
