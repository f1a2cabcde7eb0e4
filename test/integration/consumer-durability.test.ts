/**
 * A consumer's applied event survives PostgreSQL being killed with SIGKILL right after the apply
 * committed (chaos run 1, docs/benchmarks.md "Chaos runs": analytics applied order aae7c32e's
 * order.v1.completed, committed its Kafka offset, and lost the applied event with PostgreSQL killed
 * 0.3 s later, because the cluster ran `synchronous_commit = off`; Kafka never delivered it again).
 *
 * The consumer here is the estate's (platform/kafka.ts startEventConsumer) on a topic, a dead-letter
 * topic and a group of this test's own, over a PostgreSQL cluster of this test's own (initdb in a
 * temporary directory, run as the postgres user on a random port, removed afterwards) configured as
 * the dev cluster was: `synchronous_commit = off`, and the WAL writer slowed to its longest delay so
 * an asynchronous commit stays in memory for seconds rather than a fraction of one. The event's
 * handler kills the cluster (SIGKILL to every process of it) the moment its transaction has
 * committed; then the cluster is started again and the event must be there, its offset having been
 * committed to Kafka meanwhile. Without the consumer committing synchronously (record-processor.ts)
 * the event is gone.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, chown, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import type { Consumer, Kafka } from 'kafkajs';
import pg from 'pg';
import { buildEvent, CLOUDEVENTS_CONTENT_TYPE } from '../../platform/events/envelope.js';
import { createServedTopics, kafkaClient, startEventConsumer } from '../../platform/kafka.js';
import { eventually } from '../support/estate.js';
import { sampleEventData, uniqueCustomerId } from '../support/fixtures.js';

const run = promisify(execFile);

async function postgresBin(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql').catch(() => []))
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0)
    throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (infra/postgres/fetch.sh installs them)');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway PostgreSQL cluster: started, killed with SIGKILL, started again, removed. */
class ScratchCluster {
  private server: ChildProcess | undefined;
  private constructor(
    readonly dir: string,
    readonly bin: string,
    readonly port: number,
    readonly uid: number,
    readonly gid: number,
  ) {}

  static async create(): Promise<ScratchCluster> {
    if (userInfo().uid !== 0)
      throw new Error('this test runs PostgreSQL as the postgres user, so it must run as root (as the dev estate does)');
    const dir = await mkdtemp(join(tmpdir(), 'ordersaga-probe-pg-'));
    const { uid, gid } = await run('id', ['-u', 'postgres']).then(async ({ stdout }) => ({
      uid: Number(stdout),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout),
    }));
    await chown(dir, uid, gid);
    await chmod(dir, 0o700);
    const cluster = new ScratchCluster(dir, await postgresBin(), await freePort(), uid, gid);
    await run('runuser', [
      '-u',
      'postgres',
      '--',
      `${cluster.bin}/initdb`,
      '-D',
      `${dir}/data`,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    // As the dev cluster ran before 73d2804: commits return before their WAL is flushed. The WAL
    // writer's longest delay and flush threshold, no background writer and no autovacuum, so that
    // nothing but a synchronous commit writes an asynchronous one to disk within the test's moment.
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dir,
      synchronous_commit: 'off',
      wal_writer_delay: '10s',
      wal_writer_flush_after: '1GB',
      bgwriter_lru_maxpages: '0',
      autovacuum: 'off',
      checkpoint_timeout: '1h',
      max_wal_size: '4GB',
    };
    const args = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
    // Its own process group, so a kill reaches the postmaster and every backend at once.
    const log = await open(join(this.dir, 'server.log'), 'a');
    // The postmaster is this process's own child (not runuser's), so its death is reaped here and
    // its pid is free again for the restart's lock-file check; its own process group, so a kill
    // reaches the postmaster and every backend at once.
    this.server = spawn(`${this.bin}/postgres`, ['-D', `${this.dir}/data`, '-p', String(this.port), ...args], {
      uid: this.uid,
      gid: this.gid,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    await log.close();
    await eventually(
      'the scratch PostgreSQL cluster to accept connections',
      async () => {
        const client = new pg.Client({ connectionString: this.url });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      30_000,
    ).catch(async (error: Error) => {
      const log = await readFile(join(this.dir, 'server.log'), 'utf8').catch(() => '');
      throw new Error(`${error.message}\n${log.split('\n').slice(-15).join('\n')}`);
    });
  }

  /** SIGKILL to the whole cluster, synchronously: nothing of it runs another instruction. */
  killNow(): void {
    try {
      if (this.server?.pid) process.kill(-this.server.pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  async waitUntilGone(): Promise<void> {
    const server = this.server;
    if (server && server.exitCode === null && server.signalCode === null) await new Promise((resolve) => server.once('exit', resolve));
  }

  async remove(): Promise<void> {
    this.killNow();
    await this.waitUntilGone().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

let cluster: ScratchCluster | undefined;
let kafka: Kafka;
const probe = `ordersaga-probe-${randomUUID().slice(0, 8)}`;
const topic = `${probe}.order.events`;
const deadLetters = `${probe}.dead-letter`;

test.before(async () => {
  cluster = await ScratchCluster.create();
  await cluster.start();
  const setup = new pg.Client({ connectionString: cluster.url });
  await setup.connect();
  // The consumer's tables (as every consuming service has them), committed durably before the test.
  await setup.query(`SET synchronous_commit = on;
    CREATE TABLE processed_events (event_id uuid PRIMARY KEY, event_type text NOT NULL, subject text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE applied (event_id uuid PRIMARY KEY, order_id text NOT NULL);
    CHECKPOINT;`);
  await setup.end();
  kafka = kafkaClient('consumer-durability-test');
  const admin = kafka.admin();
  await admin.connect();
  await createServedTopics(
    admin,
    [topic, deadLetters].map((name) => ({ topic: name, numPartitions: 1, replicationFactor: 1 })),
  );
  await admin.disconnect();
});

test.after.always(async (t) => {
  // Each step on its own: a failed one leaves nothing else behind.
  await cluster?.remove().catch((error: Error) => t.log(`remove the scratch cluster: ${error.message}`));
  if (!kafka) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([probe]).catch((error: Error) => t.log(`delete group ${probe}: ${error.message}`));
  await admin.deleteTopics({ topics: [topic, deadLetters] }).catch((error: Error) => t.log(`delete topics: ${error.message}`));
  await admin.disconnect();
});

test('an event applied just before PostgreSQL is killed is still applied after its restart (its offset was committed)', async (t) => {
  const scratch = cluster!;
  const database = new pg.Pool({ connectionString: scratch.url, max: 2 });
  // A killed server's connections fail in the pool; it replaces them.
  database.on('error', () => undefined);
  const orderId = randomUUID();
  const event = buildEvent({
    type: 'order.v1.completed',
    source: 'ordersaga/consumer-durability-test',
    data: sampleEventData(orderId, uniqueCustomerId('durable'))['order.v1.completed'],
  });
  let killedAfterCommit = false;
  let consumer: Consumer | undefined;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    consumer = await startEventConsumer({
      kafka,
      groupId: probe,
      database,
      topics: [topic],
      deadLetterTopic: deadLetters,
      retryPolicy: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1000 },
      handle: async (applied, transaction) => {
        await transaction.query('INSERT INTO applied (event_id, order_id) VALUES ($1, $2)', [applied.id, applied.data.orderId]);
        // Run once the transaction has committed: PostgreSQL dies at that very moment.
        return () => {
          if (applied.id !== event.id) return;
          scratch.killNow();
          killedAfterCommit = true;
        };
      },
    });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: event.subject,
          value: JSON.stringify(event),
          headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ce_id: event.id, ce_type: event.type },
        },
      ],
    });
    // The record is done for the consumer: its offset is committed, Kafka will not deliver it again.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(
        'the event to be applied and its offset committed',
        async () => {
          const [offsets] = await admin.fetchOffsets({ groupId: probe, topics: [topic] });
          return killedAfterCommit && offsets!.partitions.every((partition) => Number(partition.offset) >= 1) ? true : undefined;
        },
        60_000,
      );
    } finally {
      await admin.disconnect();
    }
    await scratch.waitUntilGone();
    await scratch.start();
    const check = new pg.Client({ connectionString: scratch.url });
    await check.connect();
    try {
      const inbox = await check.query('SELECT 1 FROM processed_events WHERE event_id = $1', [event.id]);
      const effect = await check.query('SELECT order_id FROM applied WHERE event_id = $1', [event.id]);
      t.is(inbox.rowCount, 1, 'the event is marked processed after the restart (Kafka will not deliver it again)');
      t.deepEqual(effect.rows, [{ order_id: orderId }], 'and its effect is there');
    } finally {
      await check.end();
    }
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await database.end().catch(() => undefined);
  }
});
