/**
 * payment-sim with its ledger journal on local disk, against PostgreSQL (a schema of this test's
 * own): what a crash leaves unprojected is replayed and projected at the next start, and projecting
 * it twice changes nothing; PostgreSQL stalled holds the projection, never the answers; and a
 * simulator killed with SIGKILL in the middle of answering loses no approval a client was answered.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { TcpPaymentGateway } from '../../activities/payment/tcp/gateway.js';
import { openDatabase } from '../../platform/db.js';
import { DiskLedgerJournal } from '../../payment-sim/ledger-journal.js';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { eventually } from '../support/estate.js';
import { freePort, startServiceProcess, waitForHealth } from '../support/service-process.js';
import { authorizationRequest, scratchLedgerDatabase, type ScratchLedgerDatabase, vaultApprovedCard } from './payment-ledger-support.js';

let database: ScratchLedgerDatabase;
let cardToken: string;

test.before(async () => {
  database = await scratchLedgerDatabase();
  cardToken = await vaultApprovedCard(database);
});

test.after.always(async () => {
  await database?.drop();
});

function request(orderId = randomUUID(), attempt = 1) {
  return authorizationRequest(cardToken, orderId, attempt);
}

/** Small segments: each is zero-filled on the disk, and these directories are left in the temp dir. */
const SEGMENT_BYTES = 256 * 1024;

function journalDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-journal-it-'));
}

function diskJournal(sim: RunningPaymentSim): DiskLedgerJournal {
  if (!(sim.journal instanceof DiskLedgerJournal)) throw new Error('the simulator runs without its disk journal');
  return sim.journal;
}

/** The ledger as PostgreSQL holds it: every row of the three tables, in a stable order. */
async function ledgerRows() {
  return {
    payments: await database.query('SELECT * FROM payments ORDER BY ledger_seq'),
    tombstones: await database.query('SELECT * FROM tombstones ORDER BY order_id, attempt'),
    answers: await database.query('SELECT * FROM idempotency_answers ORDER BY idempotency_key'),
  };
}

async function paymentIdsInPostgres(ids: string[]): Promise<Set<string>> {
  const rows = await database.query<{ payment_id: string }>('SELECT payment_id FROM payments WHERE payment_id = ANY($1)', [ids]);
  return new Set(rows.map((row) => row.payment_id));
}

async function approveAll(sim: RunningPaymentSim, count: number): Promise<string[]> {
  const tcp = new TcpPaymentGateway({ address: sim.tcpAddress, poolSize: 4, timeoutMs: 10_000 });
  try {
    const results = await Promise.all(Array.from({ length: count }, () => tcp.authorize(request())));
    return results.map((result) => {
      if (result.outcome !== 'approved') throw new Error(`not approved: ${JSON.stringify(result)}`);
      return result.paymentId;
    });
  } finally {
    await tcp.close();
  }
}

test.serial(
  'a crash before the projection: the next start has every approval in its index and projects them, and projecting twice changes nothing',
  async (t) => {
    const dir = journalDir();
    const first = await startPaymentSim({
      httpPort: 0,
      tcpPort: 0,
      databaseUrl: database.url,
      journal: { dir, segmentBytes: SEGMENT_BYTES, project: false },
    });
    const approved = await approveAll(first, 120);
    const tcp = new TcpPaymentGateway({ address: first.tcpAddress, poolSize: 1, timeoutMs: 10_000 });
    const reversedOrder = request();
    const reversedApproval = await tcp.authorize(reversedOrder);
    await tcp.reverseAttempt({ orderId: reversedOrder.orderId, attempt: 1, amountMinor: 1, reason: 'timed out' });
    await tcp.close();
    // A crash: the projector never ran, the journal is all there is.
    diskJournal(first).abandon();
    await first.close();
    t.is((await paymentIdsInPostgres(approved)).size, 0, 'nothing projected before the crash');

    const second = await startPaymentSim({
      httpPort: 0,
      tcpPort: 0,
      databaseUrl: database.url,
      journal: { dir, segmentBytes: SEGMENT_BYTES, projectEveryMs: 20 },
    });
    try {
      for (const id of approved) t.truthy(second.simulator.ledger.find(id), `${id} in the index`);
      if (reversedApproval.outcome !== 'approved') return t.fail('setup approval failed');
      t.is(second.simulator.ledger.find(reversedApproval.paymentId)?.status, 'reversed');
      await eventually('the projection to catch up', async () => (diskJournal(second).projectionLag === 0 ? true : undefined), 10_000, 20);
      t.is((await paymentIdsInPostgres(approved)).size, approved.length, 'every approval projected into PostgreSQL');
      const [reversedRow] = await database.query<{ status: string }>('SELECT status FROM payments WHERE payment_id = $1', [
        reversedApproval.paymentId,
      ]);
      t.is(reversedRow?.status, 'reversed');
      t.is((await database.query('SELECT 1 FROM tombstones WHERE order_id = $1', [reversedOrder.orderId])).length, 1);
    } finally {
      await second.close();
    }

    // Projected again from the start of the journal: the same rows, nothing more.
    const projectedOnce = await ledgerRows();
    await database.query('UPDATE ledger_journal_checkpoint SET position = 0');
    const third = await startPaymentSim({
      httpPort: 0,
      tcpPort: 0,
      databaseUrl: database.url,
      journal: { dir, segmentBytes: SEGMENT_BYTES, projectEveryMs: 20 },
    });
    try {
      t.true(diskJournal(third).projectionLag > 0, 'the whole journal is projected again');
      await eventually('the second projection', async () => (diskJournal(third).projectionLag === 0 ? true : undefined), 10_000, 20);
      t.deepEqual(await ledgerRows(), projectedOnce);
    } finally {
      await third.close();
    }
  },
);

test.serial("the projection worker runs below the lines: its thread is niced, the lines' thread is not", async (t) => {
  if (process.platform !== 'linux') return t.pass('nice values per thread are read from /proc (Linux)');
  const niceOfThreads = () =>
    fs.readdirSync('/proc/self/task').map((tid) => {
      // Field 19 of stat is the nice value; the command name (field 2) may hold spaces, so count from its ')'.
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
  const before = niceOfThreads().filter((nice) => nice === 10).length;
  const sim = await startPaymentSim({
    httpPort: 0,
    tcpPort: 0,
    databaseUrl: database.url,
    journal: { dir: journalDir(), segmentBytes: SEGMENT_BYTES, projectEveryMs: 20 },
  });
  try {
    await approveAll(sim, 10);
    await eventually('the projection to run', async () => (diskJournal(sim).projectionLag === 0 ? true : undefined), 10_000, 20);
    t.is(niceOfThreads().filter((nice) => nice === 10).length, before + 1, 'one more thread at nice 10: the projection worker');
    t.is(niceOfThreads()[0], os.getPriority(), "the main thread keeps the process's priority");
  } finally {
    await sim.close();
  }
});

test.serial('PostgreSQL stalled: approvals are answered from the journal, and the projection catches up once it moves', async (t) => {
  const sim = await startPaymentSim({
    httpPort: 0,
    tcpPort: 0,
    databaseUrl: database.url,
    journal: { dir: journalDir(), segmentBytes: SEGMENT_BYTES, projectEveryMs: 20 },
  });
  const db = openDatabase(database.url, 'payments-test');
  const blocker = await db.connect();
  try {
    // While this lock is held every projection waits inside PostgreSQL.
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE ledger_journal_checkpoint IN ACCESS EXCLUSIVE MODE');
    const approved = await approveAll(sim, 300);
    t.is(approved.length, 300, 'every approval answered while PostgreSQL could not take it');
    t.true(diskJournal(sim).projectionLag > 0, 'and none of them projected yet');
    t.is((await paymentIdsInPostgres(approved)).size, 0);
    await blocker.query('COMMIT');
    await eventually('the projection to catch up', async () => (diskJournal(sim).projectionLag === 0 ? true : undefined), 10_000, 20);
    t.is((await paymentIdsInPostgres(approved)).size, approved.length);
  } finally {
    await blocker.query('ROLLBACK').catch(() => undefined);
    blocker.release();
    await db.end();
    await sim.close();
  }
});

test.serial('killed with SIGKILL while answering: every approval a client was answered is in the ledger after the restart', async (t) => {
  const dir = journalDir();
  // payment-sim's own segment size here: 64 MiB zero-filled, twice (the current and the next).
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tcpPort = await freePort();
  const child = await startServiceProcess({
    entry: 'payment-sim/main.ts',
    portVariable: 'PAYMENT_SIM_HTTP_PORT',
    env: { PAYMENT_SIM_TCP_PORT: String(tcpPort), PAYMENT_DATABASE_URL: database.url, PAYMENT_LEDGER_JOURNAL_DIR: dir, LOG_LEVEL: 'warn' },
  });
  const answered: string[] = [];
  let failed = 0;
  const tcp = new TcpPaymentGateway({ address: `127.0.0.1:${tcpPort}`, poolSize: 8, timeoutMs: 5_000 });
  try {
    await waitForHealth(child, '/health/ready');
    let killed = false;
    const clients = Array.from({ length: 16 }, async () => {
      while (!killed) {
        try {
          const result = await tcp.authorize(request());
          if (result.outcome === 'approved') answered.push(result.paymentId);
        } catch {
          failed += 1;
          return;
        }
      }
    });
    await eventually('approvals under way', async () => (answered.length >= 2_000 ? true : undefined), 60_000, 10);
    child.child.kill('SIGKILL');
    killed = true;
    await child.exited;
    await Promise.all(clients);
  } finally {
    await tcp.close();
    await child.stop();
  }
  t.log(`${answered.length} approvals answered before the kill, ${failed} clients cut off`);

  const restarted = await startPaymentSim({
    httpPort: 0,
    tcpPort: 0,
    databaseUrl: database.url,
    journal: { dir, segmentBytes: SEGMENT_BYTES, projectEveryMs: 20 },
  });
  try {
    const missing = answered.filter((id) => !restarted.simulator.ledger.find(id));
    t.deepEqual(missing, [], 'every answered approval is in the index');
    await eventually('the projection to catch up', async () => (diskJournal(restarted).projectionLag === 0 ? true : undefined), 20_000, 20);
    const inPostgres = await paymentIdsInPostgres(answered);
    t.deepEqual(
      answered.filter((id) => !inPostgres.has(id)),
      [],
      'and in PostgreSQL',
    );
  } finally {
    await restarted.close();
  }
});
