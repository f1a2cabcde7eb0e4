/**
 * What telemetry costs the estate: order throughput with telemetry off, on (every order traced) and
 * sampled (one order in ten traced), in one run, on the running dev stack. Appends the result to
 * docs/benchmarks.md under "## Telemetry cost".
 *
 *   npx tsx bench/telemetry-cost.ts                        # 2 rounds (off, on, sampled; then reversed) of 200 orders
 *   BENCH_ORDERS=400 BENCH_ROUNDS=3 npx tsx bench/telemetry-cost.ts
 *   BENCH_NO_WRITE=1 …                                     # print only
 *
 * Needs the dev stack (PostgreSQL, Kafka, Temporal) with migrations and topics (`make up-detached`
 * does it). The seven services are restarted for every phase, with telemetry off
 * (`OTEL_SDK_DISABLED=true`) or on (the production defaults: batch every 5 s, metrics every 10 s,
 * logs not exported) sending to a sink in this process that reads and discards what it gets, so the
 * services do all their telemetry work but no collector competes for the CPU. Phases run
 * off, on, sampled, sampled, on, off, … so drift on the host (other work, a warming database)
 * falls on every setting alike.
 *
 * A phase: restart, a warm-up of 20 orders, then BENCH_ORDERS happy-path orders (channels
 * alternating) submitted by 8 clients as fast as the gateway takes them, and the time until the last
 * one is COMPLETED, read from the orders database. Throughput is orders / that time: the estate's
 * capacity with a backlog, the number telemetry could lower. Also measured: the CPU the seven
 * service processes used per order (/proc), which shows the cost even where something else (the
 * Temporal dev server) caps throughput.
 *
 * At the end the services are restarted as they were found: with the OTEL_* settings the running
 * gateway had, or left stopped if none was running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendToBenchmarks } from './benchmarks-doc.js';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, release, totalmem, type as osType } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { serviceNames } from '../infra/estate.js';
import { config } from '../platform/config.js';
import { demoCards } from '../platform/contracts/demo-triggers.js';
import { localAuthorization } from '../platform/identity.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ordersPerPhase = Number(process.env.BENCH_ORDERS ?? 200);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const clients = Number(process.env.BENCH_CLIENTS ?? 8);
const WARMUP_ORDERS = 20;
const SERVICES = serviceNames;
const env = config();
const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`;

/** off: no SDK at all; on: every order traced (the default); sampled: one order in ten traced (parent-based ratio). */
type Mode = 'off' | 'on' | 'sampled';
const SAMPLED_RATIO = 0.1;

interface PhaseResult {
  mode: Mode;
  orders: number;
  seconds: number;
  perSecond: number;
  cpuMsPerOrder: number;
  /** Per service. */
  cpuMsPerOrderOf: Record<string, number>;
  exportedBytes: number;
}

// ---- the sink -------------------------------------------------------------------------------------

/** Accepts OTLP/HTTP exports and throws them away, counting bytes: the services' cost, nobody else's. */
function startSink(): Promise<{ server: Server; port: number; bytes: () => number }> {
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end());
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, bytes: () => bytes })),
  );
}

// ---- the services ----------------------------------------------------------------------------------

function services(command: 'up' | 'down', environment: NodeJS.ProcessEnv): void {
  const result = spawnSync(`${root}infra/local/services.sh`, [command], { cwd: root, env: environment, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`services.sh ${command} failed:\n${result.stdout}\n${result.stderr}`);
}

function pidOf(service: string): number | undefined {
  const file = `${root}.state/pids/${service}.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return existsSync(`/proc/${pid}`) ? pid : undefined;
}

/** The OTEL_* settings (and LOG_LEVEL) of the running gateway, to restore them at the end. */
function runningTelemetrySettings(): NodeJS.ProcessEnv | undefined {
  const pid = pidOf('gateway');
  if (!pid) return undefined;
  const settings: NodeJS.ProcessEnv = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const [name, ...value] = entry.split('=');
    if (name && (name.startsWith('OTEL_') || name === 'LOG_LEVEL') && name !== 'OTEL_SERVICE_NAME') settings[name] = value.join('=');
  }
  return settings;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system, ms) each service process has used so far. */
function servicesCpuMs(): Record<string, number> {
  const used: Record<string, number> = {};
  for (const service of SERVICES) {
    const pid = pidOf(service);
    if (!pid) continue;
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    used[service] = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  }
  return used;
}

const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((sum, ms) => sum + ms, 0);

function withoutTelemetrySettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
}

function phaseEnvironment(mode: Mode, sinkPort: number): NodeJS.ProcessEnv {
  // One customer's orders as fast as the gateway takes them: its per-token rate limit would be what is measured.
  const base = { ...withoutTelemetrySettings(), LOG_LEVEL: 'warn', GATEWAY_RATE_LIMIT_PER_TOKEN: '0', GATEWAY_RATE_LIMIT_PER_ADDRESS: '0' };
  const exporting = { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}` };
  switch (mode) {
    case 'off':
      return { ...base, OTEL_SDK_DISABLED: 'true' };
    case 'on':
      return exporting;
    case 'sampled':
      return { ...exporting, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(SAMPLED_RATIO) };
  }
}

// ---- the load --------------------------------------------------------------------------------------

async function restock(sku: string): Promise<void> {
  const response = await fetch(`${env.INVENTORY_URL}/admin/products/${sku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `telemetry benchmark ${sku}`, unitPriceMinor: 15_000, quantity: 1_000_000 }),
  });
  if (!response.ok) throw new Error(`restocking ${sku}: ${response.status} ${await response.text()}`);
}

/** Submits `count` orders for `customerId` with `clients` concurrent callers. */
async function submit(count: number, customerId: string, sku: string): Promise<void> {
  const authorization = await localAuthorization(customerId);
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let index = next++; index < count; index = next++) {
        const response = await fetch(`${gateway}/orders`, {
          method: 'POST',
          // No traceparent: the gateway starts each order's trace, so its sampler decides (all, or one in ten).
          headers: { 'content-type': 'application/json', ...authorization },
          body: JSON.stringify({
            customerId,
            items: [{ sku, quantity: 1 }],
            payment: { channel: index % 2 === 0 ? 'http' : 'tcp', cardNumber: demoCards.approved },
            shippingAddress: { name: '벤치 마크', line1: '테헤란로 1', city: '서울', postalCode: '06236', country: 'KR' },
          }),
        });
        if (response.status !== 202) throw new Error(`order ${index} answered ${response.status}: ${await response.text()}`);
      }
    }),
  );
}

/** Waits until every order of the customer is terminal; returns when the last one became so (ms since epoch). */
async function waitForTerminal(db: pg.Pool, customerId: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ done: number; completed: number }>(
      `SELECT count(*) FILTER (WHERE status IN ('COMPLETED','REJECTED','PAYMENT_DECLINED','FAILED','CANCELLED'))::int AS done,
              count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed
         FROM orders WHERE customer_id = $1`,
      [customerId],
    );
    const { done, completed } = rows[0]!;
    if (done >= count) {
      if (completed < count) throw new Error(`${count - completed} of ${count} benchmark orders did not complete`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`only ${done} of ${count} orders ended within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runPhase(mode: Mode, sink: Awaited<ReturnType<typeof startSink>>, db: pg.Pool, sku: string): Promise<PhaseResult> {
  console.log(`[bench] telemetry ${mode}: restarting the services …`);
  services('down', process.env);
  services('up', phaseEnvironment(mode, sink.port));
  const tag = `bench-${mode}-${randomBytes(3).toString('hex')}`;
  await submit(WARMUP_ORDERS, `${tag}-warmup`, sku);
  await waitForTerminal(db, `${tag}-warmup`, WARMUP_ORDERS, 120_000);

  const bytesBefore = sink.bytes();
  const cpuBefore = servicesCpuMs();
  const started = performance.now();
  await submit(ordersPerPhase, tag, sku);
  await waitForTerminal(db, tag, ordersPerPhase, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = servicesCpuMs();
  const cpuMsPerOrderOf = Object.fromEntries(
    SERVICES.map((service) => [service, ((cpuAfter[service] ?? 0) - (cpuBefore[service] ?? 0)) / ordersPerPhase]),
  );
  const result = {
    mode,
    orders: ordersPerPhase,
    seconds,
    perSecond: ordersPerPhase / seconds,
    cpuMsPerOrder: total(cpuMsPerOrderOf),
    cpuMsPerOrderOf,
    exportedBytes: sink.bytes() - bytesBefore,
  };
  console.log(
    `[bench]   ${result.perSecond.toFixed(2)} orders/s (${ordersPerPhase} in ${seconds.toFixed(1)} s), ${result.cpuMsPerOrder.toFixed(1)} ms CPU per order` +
      (mode !== 'off' ? `, ${(result.exportedBytes / 1024).toFixed(0)} KiB exported` : ''),
  );
  console.log(`[bench]   CPU ms per order: ${SERVICES.map((service) => `${service} ${cpuMsPerOrderOf[service]!.toFixed(1)}`).join(', ')}`);
  return result;
}

// ---- the report ------------------------------------------------------------------------------------

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function machine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
  return `${availableParallelism()} × ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${osType()} ${release()}, Node ${process.version}`;
}

function renderReport(results: PhaseResult[]): string {
  const of = (mode: Mode) => results.filter((result) => result.mode === mode);
  const modes = (['off', 'on', 'sampled'] as const).filter((mode) => of(mode).length > 0);
  const throughput = (mode: Mode) => median(of(mode).map((result) => result.perSecond));
  const cpu = (mode: Mode) => median(of(mode).map((result) => result.cpuMsPerOrder));
  const cpuOf = (mode: Mode, service: string) => median(of(mode).map((result) => result.cpuMsPerOrderOf[service] ?? 0));
  const kib = (mode: Mode) => median(of(mode).map((result) => result.exportedBytes / result.orders)) / 1024;
  const label: Record<Mode, string> = { off: 'off', on: 'on, every order traced', sampled: `on, ${SAMPLED_RATIO * 100}% of orders traced` };
  const lost = (mode: Mode) => (1 - throughput(mode) / throughput('off')) * 100;
  return [
    `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}. The whole estate on this host: PostgreSQL, Kafka, the Temporal dev server`,
    `(SQLite) and the seven services. Per phase: services restarted, ${WARMUP_ORDERS} warm-up orders, then ${ordersPerPhase} happy-path`,
    `orders (HTTP and TCP alternating) from ${clients} clients as fast as the gateway accepts them; throughput is`,
    `orders / time from the first submission to the last COMPLETED. Telemetry on = every instrumentation, span`,
    `and metric with production batching (5 s, 10 s), exported to a sink that discards. Host load average at the`,
    `end: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' / ')}.`,
    '',
    '| phase | telemetry | orders/s | seconds | service CPU ms / order | OTLP KiB / order |',
    '|---|---|---|---|---|---|',
    ...results.map(
      (result, index) =>
        `| ${index + 1} | ${result.mode} | ${result.perSecond.toFixed(2)} | ${result.seconds.toFixed(1)} | ${result.cpuMsPerOrder.toFixed(1)} | ${result.mode === 'off' ? '–' : (result.exportedBytes / result.orders / 1024).toFixed(1)} |`,
    ),
    '',
    '| telemetry | median orders/s | throughput lost | service CPU ms / order | OTLP KiB / order |',
    '|---|---|---|---|---|',
    ...modes.map(
      (mode) =>
        `| ${label[mode]} | ${throughput(mode).toFixed(2)} | ${mode === 'off' ? '–' : `**${lost(mode).toFixed(1)}%**`} | ${cpu(mode).toFixed(1)} | ${mode === 'off' ? '–' : kib(mode).toFixed(1)} |`,
    ),
    '',
    `Service CPU ms per order, by service (${modes.join(' / ')}): ` +
      SERVICES.map((service) => `${service} ${modes.map((mode) => cpuOf(mode, service).toFixed(1)).join(' / ')}`).join('; ') +
      '. Goal: under 5% of throughput lost. Reproduce: `npx tsx bench/telemetry-cost.ts`.',
  ].join('\n');
}

const HEADING = '## Telemetry cost';
const INTRO = [
  '`bench/telemetry-cost.ts` runs the estate with telemetry off and on, alternating, and compares order',
  'throughput (and the CPU the services spend per order). Goal: telemetry costs under 5% of throughput.',
].join('\n');

// ---- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const found = runningTelemetrySettings();
  const sink = await startSink();
  const db = new pg.Pool({ connectionString: env.ORDER_DATABASE_URL, max: 2 });
  const sku = `BENCH-TELEMETRY`;
  const results: PhaseResult[] = [];
  try {
    if (!found) services('up', process.env);
    await restock(sku);
    // BENCH_MODES=on,off runs just those phases (for profiling); by default rounds of off, on, sampled, each
    // round in the reverse order of the one before, so drift on the host falls on every setting alike.
    const modes = process.env.BENCH_MODES?.split(',') as Mode[] | undefined;
    const round: Mode[] = ['off', 'on', 'sampled'];
    const plan = modes ?? Array.from({ length: rounds }, (_, index) => (index % 2 === 0 ? round : [...round].reverse())).flat();
    for (const mode of plan) results.push(await runPhase(mode, sink, db, sku));
    const report = renderReport(results);
    console.log(`\n${report}`);
    if (!process.env.BENCH_NO_WRITE) {
      appendToBenchmarks(HEADING, report, INTRO);
      console.log('appended to docs/benchmarks.md');
    }
  } finally {
    console.log(found ? '[bench] restarting the services as they were …' : '[bench] stopping the services it started …');
    try {
      services('down', process.env);
      if (found) services('up', { ...withoutTelemetrySettings(), ...found });
    } finally {
      await db.end();
      sink.server.close();
      sink.server.closeAllConnections();
    }
  }
}

await main();
