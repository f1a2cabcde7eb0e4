/**
 * Payment channel benchmark: approvals per second and latency percentiles over one persistent TCP
 * connection, over the TCP connection pool, and over HTTP keep-alive, in one bounded run against a
 * simulator in a child process (so client and gateway do not share a core). Appends the results,
 * with a description of the machine, to docs/benchmarks.md under "## Payment channels".
 *
 *   npx tsx bench/payment-channels.ts            # 5 s per channel after a 1 s warm-up
 *   BENCH_SECONDS=10 BENCH_CONCURRENCY=32 npx tsx bench/payment-channels.ts   # default concurrency 8
 *   BENCH_NO_WRITE=1 …                            # print only
 *   BENCH_LEDGER=disk BENCH_CHANNELS=tcp …        # one ledger; only the channels named (tcp, pool, http)
 *
 * Telemetry is off in both processes (OTEL_SDK_DISABLED): this measures the lines, not the exporter.
 *
 * The simulator books as in the estate: `disk` answers from its journal on local disk and projects
 * into PostgreSQL behind (payment-sim/ledger-journal.ts, as `make up` runs it); `postgres` answers
 * after PostgreSQL's group commit (payment-sim/ledger-store.ts, as compose and Kubernetes run it).
 * Either books into a schema of its own in the payments database (PAYMENT_DATABASE_URL), dropped
 * afterwards: the estate's ledger never sees a benchmark order. At the end the benchmark counts the
 * rows in PostgreSQL (for `disk`, once the projection has caught up) and checks that every approval
 * it was answered is among them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendToBenchmarks } from './benchmarks-doc.js';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir, totalmem, type as osType, release } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { AuthorizationRequest, PaymentGateway } from '../activities/payment/gateway.js';
import { CardVaultClient } from '../platform/card-vault.js';
import { config } from '../platform/config.js';
import { migrateService } from '../infra/programs/setup/service-databases.js';
import { HttpPaymentGateway } from '../activities/payment/http-gateway.js';
import { TcpPaymentGateway } from '../activities/payment/tcp/gateway.js';
import { demoCards } from '../platform/contracts/demo-triggers.js';
import { estate } from '../infra/estate.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const poolSize = Number(process.env.BENCH_POOL_SIZE ?? 4);
type LedgerKind = 'disk' | 'postgres' | 'memory';
const ledgerKinds: readonly LedgerKind[] = ['disk', 'postgres', 'memory'];
/**
 * `disk` is payment-sim as `make up` runs it, `postgres` as compose and Kubernetes do; `memory` the
 * same simulator with no database (bench/payment-sim-memory.ts). All in the same run, so the cost of
 * durability is read on the same host load. BENCH_LEDGER=disk, postgres or memory runs one.
 */
const ledgers: LedgerKind[] = ledgerKinds.includes(process.env.BENCH_LEDGER as LedgerKind)
  ? [process.env.BENCH_LEDGER as LedgerKind]
  : [...ledgerKinds];
/**
 * Which channels run: all by default; BENCH_CHANNELS=tcp,pool,http names some (the single connection,
 * the pool, HTTP), so a CPU profile (`NODE_OPTIONS=--cpu-prof`) holds one line's work only.
 */
const channelKeys = (process.env.BENCH_CHANNELS ?? 'tcp,pool,http').split(',').map((key) => key.trim());
/** How long the disk journal's projection may take to bring PostgreSQL level with the answers. */
const PROJECTION_CATCH_UP_MS = 20_000;

interface ChannelResult {
  channel: string;
  ledger: LedgerKind;
  approvals: number;
  /** Approvals answered, warm-up included: each must be a committed row of the ledger. */
  answered: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * CPU time per approval while measuring, in µs: the client's process and payment-sim's (all its
   * threads). Throughput on a shared host swings with its neighbours; the CPU an approval costs
   * swings far less, so a change is judged by both.
   */
  clientCpuUs: number;
  simulatorCpuUs: number;
}

async function main(): Promise<void> {
  const results: ChannelResult[] = [];
  let committed = 0;
  for (const ledger of ledgers) {
    const run = await runAgainst(ledger);
    results.push(...run.results);
    committed += run.committed;
  }
  const report = renderReport(results, committed);
  console.log(`\n${report}`);
  if (!process.env.BENCH_NO_WRITE) {
    appendToBenchmarks(HEADING, report);
    console.log('appended to docs/benchmarks.md');
  }
}

/** One simulator process with the given ledger, and every channel against it. */
async function runAgainst(ledger: LedgerKind): Promise<{ results: ChannelResult[]; committed: number }> {
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  const schema = `bench_payments_${process.pid}`;
  const databaseUrl = ledger === 'memory' ? undefined : withSearchPath(config().PAYMENT_DATABASE_URL, schema);
  const journalDir = ledger === 'disk' ? mkdtempSync(path.join(tmpdir(), 'bench-ledger-journal-')) : undefined;
  if (databaseUrl) await migrateService('payment-sim', config().PAYMENT_DATABASE_URL, schema);
  console.log(
    `starting payment-sim (HTTP ${httpPort}, TCP ${tcpPort}, ledger ${databaseUrl ? `in schema ${schema}` : 'in memory only'}${journalDir ? `, journal in ${journalDir}` : ''}) …`,
  );
  const sim = startSimulator(httpPort, tcpPort, databaseUrl, journalDir);
  try {
    await waitForHealth(`http://127.0.0.1:${httpPort}/health`, 15_000);
    // The lines carry the vault's token, never the number: one card, vaulted once (docs/decisions.md).
    benchCardToken = (await new CardVaultClient(`http://127.0.0.1:${httpPort}`).tokenize(demoCards.approved)).cardToken;
    const address = `127.0.0.1:${tcpPort}`;
    const results: ChannelResult[] = [];
    const channels: [string, string, () => PaymentGateway][] = [
      ['tcp', 'TCP, 1 persistent connection', () => new TcpPaymentGateway({ address, poolSize: 1 })],
      ['pool', `TCP, pool of ${poolSize}`, () => new TcpPaymentGateway({ address, poolSize })],
      ['http', 'HTTP keep-alive', () => new HttpPaymentGateway({ baseUrl: `http://127.0.0.1:${httpPort}` })],
    ];
    for (const [key, channel, open] of channels) {
      if (!channelKeys.includes(key)) continue;
      const gateway = open();
      try {
        console.log(`${channel} (${ledger}): warming up ${warmupSeconds} s, measuring ${seconds} s at concurrency ${concurrency} …`);
        const warmup = await drive(gateway, warmupSeconds);
        const [clientBefore, simulatorBefore] = [process.cpuUsage(), processCpuMicros(sim.pid)];
        const measured = await drive(gateway, seconds);
        const clientCpu = process.cpuUsage(clientBefore);
        const simulatorCpu = processCpuMicros(sim.pid) - simulatorBefore;
        const result = {
          channel,
          ledger,
          ...measured,
          answered: warmup.approvals + measured.approvals,
          clientCpuUs: (clientCpu.user + clientCpu.system) / Math.max(1, measured.approvals),
          simulatorCpuUs: simulatorCpu / Math.max(1, measured.approvals),
        };
        results.push(result);
        console.log(
          `  ${format(result.perSecond)} approvals/s, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms, CPU per approval: client ${result.clientCpuUs.toFixed(1)} µs, payment-sim ${result.simulatorCpuUs.toFixed(1)} µs`,
        );
      } finally {
        await gateway.close?.();
      }
    }
    if (!databaseUrl) return { results, committed: 0 };
    const answered = results.reduce((total, result) => total + result.answered, 0);
    // The disk journal's PostgreSQL follows the answers: wait (with a deadline) for the projection to catch up.
    const committed = await countCommitted(databaseUrl, answered, journalDir ? PROJECTION_CATCH_UP_MS : 0);
    if (committed < answered) throw new Error(`the ledger holds ${committed} payments but ${answered} approvals were answered`);
    console.log(`ledger: ${committed} payments in PostgreSQL, every one of the ${answered} approvals answered among them`);
    return { results, committed };
  } finally {
    sim.kill('SIGTERM');
    await new Promise((resolve) => sim.once('exit', resolve));
    if (databaseUrl) await dropSchema(schema);
    if (journalDir) rmSync(journalDir, { recursive: true, force: true });
  }
}

/** The URL with the schema first on the search path (libpq `options`), so payment-sim books there. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/** Payments in PostgreSQL: once there are `expected`, or when `waitMs` has passed. */
async function countCommitted(databaseUrl: string, expected: number, waitMs: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const deadline = performance.now() + waitMs;
  try {
    for (;;) {
      const count = Number((await client.query<{ count: string }>('SELECT count(*) FROM payments')).rows[0]!.count);
      if (count >= expected || performance.now() >= deadline) return count;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: config().PAYMENT_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Closed loop: `concurrency` callers, each authorizing a fresh order as soon as the last is answered. */
async function drive(gateway: PaymentGateway, durationSeconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const request = newRequest();
        const sent = performance.now();
        try {
          const result = await gateway.authorize(request);
          if (result.outcome !== 'approved') throw new Error(`not approved: ${JSON.stringify(result)}`);
          latencies.push(performance.now() - sent);
        } catch (error) {
          errors += 1;
          if (errors === 1) console.error(`  first error: ${(error as Error).message}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? NaN;
  return { approvals: latencies.length, errors, perSecond: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

/** The approved test card's token in the simulator under test, set once it is up. */
let benchCardToken = '';

function newRequest(): AuthorizationRequest {
  const orderId = randomUUID();
  return { orderId, attempt: 1, idempotencyKey: `authorize:${orderId}:1`, amountMinor: 45_000, currency: 'KRW', cardToken: benchCardToken };
}

const paymentSimNodeFlags = estate.services.find((service) => service.name === 'payment-sim')?.nodeFlags ?? [];

function startSimulator(httpPort: number, tcpPort: number, databaseUrl: string | undefined, journalDir: string | undefined): ChildProcess {
  const entry = databaseUrl ? 'payment-sim/main.ts' : 'bench/payment-sim-memory.ts';
  // As the estate starts it (infra/estate.json `nodeFlags`: its small young generation), both ledgers alike.
  const child = spawn(process.execPath, [...paymentSimNodeFlags, '--import', 'tsx', entry], {
    cwd: root,
    env: {
      ...process.env,
      PAYMENT_SIM_HTTP_PORT: String(httpPort),
      PAYMENT_SIM_TCP_PORT: String(tcpPort),
      ...(databaseUrl ? { PAYMENT_DATABASE_URL: databaseUrl } : {}),
      // Empty: PostgreSQL's group commit, whatever the caller's environment says.
      PAYMENT_LEDGER_JOURNAL_DIR: journalDir ?? '',
      OTEL_SDK_DISABLED: 'true',
      OTEL_SERVICE_NAME: 'payment-sim',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`payment-sim exited (${code ?? signal})`);
  });
  return child;
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`payment-sim did not answer ${url} within ${timeoutMs} ms`);
}

/** User + system CPU a process has used, all threads, in µs (Linux /proc; NaN elsewhere). */
function processCpuMicros(pid: number | undefined): number {
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, counted after the command's closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function machine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
  return `${availableParallelism()} × ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${osType()} ${release()}, Node ${process.version}`;
}

/** Other work on the host skews every number here, so the report says how busy it was. */
function hostLoad(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' / ');
}

function renderReport(results: ChannelResult[], committed: number): string {
  const durable = results.filter((result) => result.ledger === ledgers[0]);
  const tcpBest = Math.max(...durable.filter((result) => result.channel.startsWith('TCP')).map((result) => result.perSecond));
  const http = durable.find((result) => result.channel.startsWith('HTTP'))?.perSecond ?? NaN;
  return [
    `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}. Client and payment-sim in separate processes on the same host, loopback;`,
    `closed loop with ${concurrency} concurrent authorizations, ${seconds} s per channel after ${warmupSeconds} s warm-up; telemetry off; payment-sim started with ${paymentSimNodeFlags.length > 0 ? `\`${paymentSimNodeFlags.join(' ')}\`` : 'no node flags'} (infra/estate.json).`,
    `Ledger \`disk\`: payment-sim as \`make up\` runs it (each answer sent after the fdatasync of its journal batch on local disk; PostgreSQL projected behind). \`postgres\`: as compose and Kubernetes run it (each answer sent after its group commit). ${committed.toLocaleString('en-US')} payments in PostgreSQL at the end of the durable runs (for \`disk\` once the projection caught up), every approval answered among them. \`memory\`: the same simulator without a database, same run, for the cost of durability.`,
    `Host load average (1/5/15 min) at the end of the run: ${hostLoad()}.`,
    '',
    '| channel | ledger | approvals/s | p50 ms | p99 ms | max ms | approvals | errors | CPU µs/approval: client, payment-sim |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (result) =>
        `| ${result.channel} | ${result.ledger} | ${format(result.perSecond)} | ${result.p50Ms.toFixed(3)} | ${result.p99Ms.toFixed(3)} | ${result.maxMs.toFixed(2)} | ${result.approvals} | ${result.errors} | ${result.clientCpuUs.toFixed(0)}, ${result.simulatorCpuUs.toFixed(0)} |`,
    ),
    '',
    goalVerdict(durable),
    // The ratio only when both lines ran (BENCH_CHANNELS may name TCP alone).
    (Number.isFinite(tcpBest / http) ? `Best TCP is ${(tcpBest / http).toFixed(1)}× HTTP keep-alive (${ledgers[0]} ledger). ` : '') +
      `Reproduce: \`${reproduceCommand()}\`.`,
  ].join('\n');
}

/** The command line that runs what this run ran: the settings it was given, in front of the script. */
function reproduceCommand(): string {
  const settings = ['BENCH_LEDGER', 'BENCH_CHANNELS', 'BENCH_CONCURRENCY']
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]}`);
  return [...settings, 'npx tsx bench/payment-channels.ts'].join(' ');
}

const HEADING = '## Payment channels';

/** The TCP line's goal, read off the first ledger measured (by default disk: the simulator as `make up` runs it). */
function goalVerdict(results: ChannelResult[]): string {
  const met = results.filter((result) => result.channel.startsWith('TCP') && result.perSecond >= 25_000 && result.p99Ms <= 2);
  const ledger = results[0]?.ledger ?? ledgers[0];
  return met.length > 0
    ? `Goal (TCP ≥ 25,000 approvals/s with p99 ≤ 2 ms, ${ledger} ledger): **met** by ${met.map((result) => result.channel).join(', ')}.`
    : `Goal (TCP ≥ 25,000 approvals/s with p99 ≤ 2 ms, ${ledger} ledger): **missed** in this run.`;
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

await main();
