/**
 * One chaos run, start to verdict:
 *
 *   1. every target supervised and healthy, or no run;
 *   2. the load generator's open model (loadgen/) with a cancel-heavy mix on both payment lines,
 *      its customers named after this run so the estate's own record of the run can be read back;
 *   3. meanwhile, one kill -9 at a time (./schedule.ts), each followed until the piece is healthy
 *      again and a probe order submitted after that has completed: the time to recover; and latency
 *      windows on reserve, authorize and schedule (./latency.ts);
 *   4. after the load, every order the estate accepted (acknowledged or not) is waited for until it
 *      is terminal or the settle deadline passes;
 *   5. the auditor over all of them (./audit.ts), and the report (./report.ts).
 */
import { randomBytes } from 'node:crypto';
import { GatewayClient, gatewayCredentials } from '../../../loadgen/gateway-client.js';
import { customerPool } from '../../../loadgen/customers.js';
import { LoadRun } from '../../../loadgen/load-run.js';
import { isLoopbackHost, parseCommandLine as parseLoadCommandLine, type LoadOptions } from '../../../loadgen/options.js';
import { pause } from '../../../loadgen/pause.js';
import { basketSkus, checkGateway } from '../../../loadgen/preflight.js';
import { seededRandom } from '../../../loadgen/random.js';
import type { OrderRecord } from '../../../loadgen/run-record.js';
import { createOrderFactory, type OrderFactory } from '../../../loadgen/scenarios.js';
import { orderTraceContext } from '../../../loadgen/traceparent.js';
import { config } from '../../../platform/config.js';
import { isTerminal, orderStatuses, type OrderStatus } from '../../../platform/contracts/order.js';
import { auditOrders, plantReleasedReservation, type PlantedViolation } from './audit.js';
import { ensureSupervised, isHealthy, killHard, NotRunningError, runningPid, type Target } from './estate.js';
import { LatencyWindow } from './latency.js';
import type { ChaosOptions } from './options.js';
import { verdict, type AuditSummary, type ChaosReport, type Fault, type KillFault, type LatencyFault, type ProbeOrder } from './report.js';
import { KillSchedule, LatencySchedule } from './schedule.js';

export type Say = (line: string) => void;

/** What must be undone if the run is interrupted: open latency windows, a planted violation. */
const pendingCleanups = new Set<() => Promise<void>>();

/** Ctrl-C or SIGTERM (an ava timeout): put back what the run changed in the estate. Kills need no undoing. */
export async function cleanUpInterruptedRun(): Promise<void> {
  await Promise.allSettled([...pendingCleanups].map((cleanup) => cleanup()));
  pendingCleanups.clear();
}

const HEALTH_POLL_MS = 250;
const PROBE_POLL_MS = 500;
const PROGRESS_EVERY_MS = 5_000;
/** The auditor keeps looking this long while what it finds may still settle. */
const AUDIT_DEADLINE_MS = 90_000;

class RunClock {
  readonly startedAtEpoch = Date.now();
  private readonly startedAt = performance.now();
  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}

export async function runChaos(options: ChaosOptions, say: Say): Promise<ChaosReport> {
  checkLoopback();
  await ensureSupervised(options.targets, say);
  await waitUntilHealthy(options.targets, 60_000, say);

  const tag = randomBytes(3).toString('hex');
  const load = parseLoadOptions(options);
  const clientSettings = { baseUrl: load.baseUrl, requestTimeoutMs: load.requestTimeoutMs, ...gatewayCredentials(load.apiKey) };
  const gateway = new GatewayClient(clientSettings);
  await checkGateway(gateway, load.baseUrl);
  const stock = await basketSkus(gateway);
  if (stock.low.length) say(`fewer than 20 left of ${stock.low.join(', ')}: kept out of ordinary baskets`);
  const random = seededRandom(options.seed);
  // Customers named after the run: the order API's per-customer listing then returns exactly this
  // run's orders, including those whose 202 was lost when a piece died mid-request.
  const customers = customerPool(load.customers, random).map((customer) => ({
    ...customer,
    customerId: `chaos-${tag}-${customer.customerId}`,
  }));
  const orders = createOrderFactory({ customers, tcpShare: load.tcpShare, random, ...(stock.skus ? { basketSkus: stock.skus } : {}) });
  const run = new LoadRun(load, (abandon) => new GatewayClient({ ...clientSettings, signal: abandon }), orders, random);

  const clock = new RunClock();
  const faults: Fault[] = [];
  const probes: ProbeOrder[] = [];
  const kills = new KillSchedule(
    options.targets,
    { durationMs: options.durationMs, maxKills: options.maxKills },
    seededRandom(options.seed + 1),
  );
  let current = 'warming up';
  say(
    `run ${tag}: ${options.ratePerSecond} orders/s for ${options.durationMs / 1000} s, killing ${options.targets.join(', ') || 'nothing'}${options.latency ? ', slowing reserve/authorize/schedule in turns' : ''}; seed ${options.seed}`,
  );

  const progress = setInterval(() => {
    const s = run.record.snapshot();
    const terminal = Object.values(s.terminal).reduce((sum, count) => sum + count, 0);
    say(
      `${(clock.elapsedMs / 1000).toFixed(0)}s/${options.durationMs / 1000}s submitted ${s.submitted} accepted ${s.accepted} in flight ${s.inFlight} terminal ${terminal}` +
        ` · faults ${faults.length} · ${current}`,
    );
  }, PROGRESS_EVERY_MS);

  const killing = (async () => {
    for (let plan = kills.next(clock.elapsedMs); plan; plan = kills.next(clock.elapsedMs)) {
      current = `next kill: ${plan.target} in ${(plan.pauseMs / 1000).toFixed(0)} s`;
      await pause(plan.pauseMs);
      if ((!plan.firstRound && clock.elapsedMs >= options.durationMs) || clock.elapsedMs >= hardEndMs(options)) {
        kills.putBack(plan);
        break;
      }
      current = `kill ${plan.target}: recovering`;
      const fault = await killAndRecover(plan.target, faults.length + 1, clock, options, orders, gateway, say);
      if (fault) {
        faults.push(fault);
        if (fault.probe) probes.push(fault.probe);
      }
      current = 'between faults';
    }
  })();

  // Latency windows start only within --duration (and the one open then ends with it).
  const durationOver = AbortSignal.timeout(options.durationMs);
  const slowing = (async () => {
    if (!options.latency) return;
    const schedule = new LatencySchedule(seededRandom(options.seed + 2));
    for (;;) {
      const plan = schedule.next();
      if (!(await pause(plan.pauseMs, durationOver)) || clock.elapsedMs + 2_000 >= options.durationMs) return;
      const lengthMs = Math.min(plan.lengthMs, options.durationMs - clock.elapsedMs);
      const setting = { latencyMs: options.latencyMs, jitterMs: options.latencyMs };
      const atMs = clock.elapsedMs;
      say(
        `slow ${plan.steps.join('+')} by ${setting.latencyMs}-${setting.latencyMs + setting.jitterMs} ms for ${(lengthMs / 1000).toFixed(0)} s`,
      );
      const window = await LatencyWindow.open(plan.steps, setting);
      const end = () => window.end().then(() => undefined);
      pendingCleanups.add(end);
      await pause(lengthMs);
      pendingCleanups.delete(end);
      const notRestored = await window.end();
      const fault: LatencyFault = { kind: 'latency', n: 0, steps: plan.steps, atMs, endMs: clock.elapsedMs, ...setting, notRestored };
      faults.push(fault);
      if (notRestored.length) say(`could not put back the earlier setting of ${notRestored.join(', ')}`);
    }
  })();

  // The load goes on while faults do: past --duration only to finish the first round of kills.
  const loading = run.run();
  await pause(options.durationMs);
  await killing;
  run.stop('chaos: faults over');
  const submissionEnded = Date.now();
  await Promise.all([loading, slowing]);
  clearInterval(progress);
  const loadEndedMs = clock.elapsedMs;
  faults.sort((a, b) => a.atMs - b.atMs).forEach((fault, index) => (fault.n = index + 1));
  say(`load over after ${(loadEndedMs / 1000).toFixed(0)} s; reading back every order the estate accepted in this run…`);

  // What the estate accepted: the load's 202s, the probes, and what it recorded for the run's customers.
  const acknowledged = new Set(run.record.orders.flatMap((order) => (order.orderId ? [order.orderId] : [])));
  const probeIds = probes.flatMap((probe) => (probe.orderId ? [probe.orderId] : []));
  const recorded = await ordersOfCustomers(customers.map((customer) => customer.customerId));
  const unacknowledged = [...recorded].filter((orderId) => !acknowledged.has(orderId) && !probeIds.includes(orderId));
  const accepted = [...new Set([...acknowledged, ...probeIds, ...recorded])];

  // --settle counts from the end of submission: the load generator's following of its orders is part of it.
  const settleLeftMs = Math.max(10_000, submissionEnded + options.settleMs - Date.now());
  say(`waiting up to ${Math.round(settleLeftMs / 1000)} s for ${accepted.length} accepted orders to be terminal…`);
  const statuses = await waitUntilTerminal(accepted, settleLeftMs, say);
  const nonTerminal = [...statuses].filter(([, status]) => !isTerminalStatus(status)).map(([orderId, status]) => ({ orderId, status }));

  let planted: PlantedViolation | undefined;
  if (options.plantViolation) {
    planted = await plantReleasedReservation([...statuses].filter(([, status]) => status === 'COMPLETED').map(([orderId]) => orderId));
    say(
      planted ? `planted: ${planted.what} (order ${planted.orderId})` : 'nothing to plant: no completed order with a shipped reservation',
    );
    if (planted) pendingCleanups.add(planted.undo);
  }
  say(`auditing ${accepted.length} orders…`);
  let auditSummary: AuditSummary | undefined;
  try {
    auditSummary = await auditOrders(accepted, AUDIT_DEADLINE_MS);
  } catch (error) {
    say(`the auditor failed: ${(error as Error).message}`);
  } finally {
    if (planted) {
      pendingCleanups.delete(planted.undo);
      await planted.undo();
    }
  }

  const terminal: Record<string, number> = {};
  for (const status of statuses.values()) if (isTerminalStatus(status)) terminal[status] = (terminal[status] ?? 0) + 1;
  const records = run.record.orders;
  const atOf = (order: OrderRecord) => Date.parse(order.submittedAt) - clock.startedAtEpoch;
  for (const fault of faults) {
    if (fault.kind !== 'kill') continue;
    const end = fault.atMs + (fault.recoveryMs ?? fault.healthyAfterMs ?? options.recoverDeadlineMs);
    const during = records.filter((order) => atOf(order) >= fault.atMs && atOf(order) <= end);
    fault.ordersDuring = { submitted: during.length, accepted: during.filter((order) => order.orderId).length };
  }
  const inKill = (order: OrderRecord) =>
    faults.some(
      (fault) =>
        fault.kind === 'kill' && atOf(order) >= fault.atMs && atOf(order) <= fault.atMs + (fault.recoveryMs ?? options.recoverDeadlineMs),
    );
  const share = (subset: OrderRecord[]) => (subset.length ? subset.filter((order) => order.orderId).length / subset.length : null);
  const bucketMs = Math.max(1_000, Math.round(options.durationMs / 60 / 1_000) * 1_000);
  const buckets = Math.max(1, Math.ceil(loadEndedMs / bucketMs));
  const acceptedPerBucket = Array.from({ length: buckets }, () => 0);
  const refusedPerBucket = Array.from({ length: buckets }, () => 0);
  for (const order of records) {
    const bucket = Math.min(buckets - 1, Math.max(0, Math.floor(atOf(order) / bucketMs)));
    if (order.orderId) acceptedPerBucket[bucket]! += 1;
    else if (order.outcome === 'refused' || order.outcome === 'submit-failed') refusedPerBucket[bucket]! += 1;
  }

  const report: Omit<ChaosReport, 'verdict'> = {
    runner: 'ordersaga chaos',
    startedAt: new Date(clock.startedAtEpoch).toISOString(),
    finishedAt: new Date().toISOString(),
    settings: {
      run: tag,
      duration: `${options.durationMs / 1000}s`,
      rate: `${options.ratePerSecond}/s`,
      seed: options.seed,
      targets: options.targets,
      latency: options.latency ? `${options.latencyMs}+${options.latencyMs}ms` : 'off',
      mix: options.mixText,
    },
    faults,
    notKilled: [...kills.notYetKilled],
    orders: {
      submitted: records.length,
      accepted: acknowledged.size,
      refused: records.filter((order) => order.outcome === 'refused').length,
      submitFailed: records.filter((order) => order.outcome === 'submit-failed').length,
      acceptedUnacknowledged: unacknowledged.length,
      probes: probeIds.length,
      audited: accepted.length,
      terminal,
      nonTerminal,
      errorsByKind: run.record.snapshot().errors,
      acceptedShare: {
        overall: share(records),
        duringFaults: share(records.filter(inKill)),
        outsideFaults: share(records.filter((order) => !inKill(order))),
      },
    },
    throughput: { bucketMs, accepted: acceptedPerBucket, refused: refusedPerBucket },
    ...(auditSummary && { audit: auditSummary }),
    ...(planted && { planted: { orderId: planted.orderId, what: planted.what } }),
  };
  return { ...report, verdict: verdict(report) };
}

/** However long the kills take, the run ends by then: three times --duration and two minutes. */
function hardEndMs(options: ChaosOptions): number {
  return Math.min(3_600_000, 3 * options.durationMs + 120_000);
}

function checkLoopback(): void {
  const env = config();
  for (const [name, url] of Object.entries({
    ORDER_URL: env.ORDER_URL,
    INVENTORY_URL: env.INVENTORY_URL,
    FULFILLMENT_URL: env.FULFILLMENT_URL,
    PAYMENT_HTTP_URL: env.PAYMENT_HTTP_URL,
  })) {
    if (!isLoopbackHost(new URL(url).hostname))
      throw new Error(`${name} ${url} is not on this machine: the chaos suite only runs against the local dev estate`);
  }
}

function parseLoadOptions(options: ChaosOptions): LoadOptions {
  const expected = (options.ratePerSecond * options.durationMs) / 1000;
  const parsed = parseLoadCommandLine([
    '--rate',
    String(options.ratePerSecond),
    // At most until the hard end; run.ts stops it once --duration is over and every target was killed.
    '--duration',
    String(hardEndMs(options) / 1000),
    '--seed',
    String(options.seed),
    '--mix',
    options.mixText,
    '--cancel-delay',
    String(options.cancelDelayMs),
    // The load generator follows each order this long; what is still open then, run.ts waits for.
    '--deadline',
    String(Math.min(600, Math.max(60, options.settleMs / 1000))),
    // Few enough orders per customer that the order API's per-customer page (50) holds them all.
    '--customers',
    String(Math.min(2_000, Math.max(50, Math.ceil(expected / 20)))),
    '--url',
    options.baseUrl,
  ]);
  if (parsed.help) throw new Error('unreachable: no --help given');
  return parsed.options;
}

async function waitUntilHealthy(targets: readonly Target[], deadlineMs: number, say: Say): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const sick = (await Promise.all(targets.map(async (target) => ((await isHealthy(target)) ? undefined : target)))).filter(Boolean);
    if (sick.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`not healthy before the run: ${sick.join(', ')}; the chaos suite needs a healthy estate (make status)`);
    say(`waiting for ${sick.join(', ')} to be healthy before starting…`);
    await pause(2_000);
  }
}

/** kill -9 one piece, then wait for its supervisor's restart, its health, and a probe order's end. */
async function killAndRecover(
  target: Target,
  n: number,
  clock: RunClock,
  options: ChaosOptions,
  orders: OrderFactory,
  gateway: GatewayClient,
  say: Say,
): Promise<KillFault | undefined> {
  let pid: number;
  const atMs = clock.elapsedMs;
  try {
    pid = killHard(target);
  } catch (error) {
    if (!(error instanceof NotRunningError)) throw error;
    say(`skipping ${target}: ${error.message}`);
    return undefined;
  }
  const killedAt = performance.now();
  const since = () => performance.now() - killedAt;
  const deadline = killedAt + options.recoverDeadlineMs;
  say(`kill -9 ${target} (pid ${pid}) at ${(atMs / 1000).toFixed(1)} s`);
  const fault: KillFault = { kind: 'kill', n, target, pid, atMs, recovered: false, ordersDuring: { submitted: 0, accepted: 0 } };

  while (performance.now() < deadline) {
    const now = runningPid(target);
    if (fault.restartedAfterMs === undefined && now !== undefined && now !== pid) fault.restartedAfterMs = since();
    if (now !== undefined && now !== pid && (await isHealthy(target))) {
      fault.healthyAfterMs = since();
      break;
    }
    await pause(HEALTH_POLL_MS);
  }
  if (fault.healthyAfterMs === undefined) {
    fault.note = `not healthy within ${options.recoverDeadlineMs / 1000} s`;
    say(`${target}: ${fault.note}`);
    return fault;
  }
  fault.probe = await probeOrder(orders, gateway, killedAt, deadline);
  if (fault.probe.terminalAfterMs !== undefined) {
    fault.recoveryMs = fault.probe.terminalAfterMs;
    fault.recovered = true;
    if (fault.probe.status !== 'COMPLETED') fault.note = `probe order ended ${fault.probe.status}`;
  } else {
    fault.note = fault.probe.orderId ? `probe order not terminal within ${options.recoverDeadlineMs / 1000} s` : 'no probe order accepted';
  }
  say(
    `${target}: restarted after ${fmt(fault.restartedAfterMs)}, healthy after ${fmt(fault.healthyAfterMs)}, ` +
      (fault.recovered ? `probe order ${fault.probe.status} after ${fmt(fault.recoveryMs)}` : (fault.note ?? 'not recovered')),
  );
  return fault;
}

const fmt = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** An ordinary order, submitted (again with the same idempotency key) until accepted, then followed to its end. */
async function probeOrder(orders: OrderFactory, gateway: GatewayClient, killedAt: number, deadline: number): Promise<ProbeOrder> {
  const order = orders('happy');
  const trace = orderTraceContext();
  const probe: ProbeOrder = { submitAttempts: 0 };
  while (performance.now() < deadline && !probe.orderId) {
    probe.submitAttempts += 1;
    const answer = await gateway.submitOrder(order.order, trace, order.idempotencyKey);
    if (answer.kind === 'answer' && answer.status === 202 && answer.body) {
      probe.orderId = answer.body.orderId;
      probe.acceptedAfterMs = performance.now() - killedAt;
    } else {
      await pause(1_000);
    }
  }
  while (probe.orderId && performance.now() < deadline) {
    const answer = await gateway.readOrder(probe.orderId, trace);
    if (answer.kind === 'answer' && answer.body && isTerminalStatus(answer.body.status)) {
      probe.status = answer.body.status;
      probe.terminalAfterMs = performance.now() - killedAt;
      break;
    }
    await pause(PROBE_POLL_MS);
  }
  return probe;
}

function isTerminalStatus(status: string): boolean {
  return (orderStatuses as readonly string[]).includes(status) && isTerminal(status as OrderStatus);
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Every order the order service holds for these customers (retried while it is restarting). */
async function ordersOfCustomers(customerIds: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const base = config().ORDER_URL.replace(/\/+$/, '');
  for (const customerId of customerIds) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { orders } = await getJson<{ orders: { orderId: string }[] }>(`${base}/orders?customerId=${encodeURIComponent(customerId)}`);
        for (const order of orders) found.add(order.orderId);
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        await pause(1_000);
      }
    }
  }
  return found;
}

/** Each order's status, read until every one is terminal or the deadline passes. */
async function waitUntilTerminal(orderIds: string[], deadlineMs: number, say: Say): Promise<Map<string, string>> {
  const statuses = new Map<string, string>(orderIds.map((orderId) => [orderId, 'unknown']));
  const base = config().ORDER_URL.replace(/\/+$/, '');
  const deadline = Date.now() + deadlineMs;
  let lastSaid = Date.now();
  for (;;) {
    const open = [...statuses].filter(([, status]) => !isTerminalStatus(status)).map(([orderId]) => orderId);
    if (open.length === 0 || Date.now() > deadline) return statuses;
    for (const orderId of open) {
      try {
        statuses.set(orderId, (await getJson<{ status: string }>(`${base}/orders/${orderId}`)).status);
      } catch {
        // the order service restarting: read again next round
      }
    }
    if (Date.now() - lastSaid > PROGRESS_EVERY_MS) {
      const left = [...statuses.values()].filter((status) => !isTerminalStatus(status)).length;
      say(`${left} order(s) not terminal yet, ${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left`);
      lastSaid = Date.now();
    }
    await pause(1_000);
  }
}
