/**
 * End-to-end saga benchmark against the running estate (`make up`): how many orders per second
 * complete with p99 submit→COMPLETED under 1 s, beside the ceiling of the same workflow shape with
 * no-op activities on the same Temporal server, the gateway's accept latency, and the estate's CPU
 * and memory. Replaces the "## End-to-end saga benchmark" section of docs/benchmarks.md.
 *
 *   npx tsx bench/saga-throughput.ts                       # about 10 minutes at most
 *   BENCH_NO_WRITE=1 npx tsx bench/saga-throughput.ts      # print only
 *   BENCH_STEP_SECONDS=10 BENCH_LADDER=2,4,8 …             # shorter steps, other rates (trial runs)
 *
 * Loopback only. Ctrl-C stops at once: open orders are given up, the ceiling workers shut down,
 * nothing is written. What each phase does: bench/saga-steps.ts (steps), bench/saga-ceiling-worker.ts
 * (the ceiling), bench/saga-processes.ts (/proc), bench/saga-report.ts (the report).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { GatewayClient, gatewayCredentials } from '../loadgen/gateway-client.js';
import { checkTarget, isLoopbackHost } from '../loadgen/options.js';
import { checkGateway } from '../loadgen/preflight.js';
import { type LoadOrder } from '../loadgen/scenarios.js';
import { pause } from '../loadgen/pause.js';
import { config } from '../platform/config.js';
import { shipmentWorkflowType } from '../platform/contracts/shipment.js';
import { orderWorkflowType } from '../platform/contracts/workflow.js';
import { connectClient } from '../platform/temporal.js';
import { BENCH_STOCK, failureOf, gatewayUrl, happyOrders, inventoryUrl, sagaJourney, stockBenchProducts } from './saga-journeys.js';
import { createCeilingWorkers, startCeilingOrder } from './saga-ceiling-worker.js';
import { cpuBetween, cpuSnapshot, estatePieces, memorySnapshot } from './saga-processes.js';
import {
  describeStep,
  heavyOthers,
  hostLoad,
  machineFacts,
  rateChart,
  renderSection,
  servicesTelemetry,
  writeSection,
} from './saga-report.js';
import { profileNodeProcess, type ProfileOutcome } from './saga-profile.js';
import { climb, type Journey, type JourneyOutcome, runStep, type StepResult, type StepSettings } from './saga-steps.js';
import { lastCompletedCost } from './workflow-cost.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const budgetSeconds = Number(process.env.BENCH_BUDGET_SECONDS ?? 560);
const ladder = (process.env.BENCH_LADDER ?? '2,3,4,5,6,7,8,10,12,16,20,24,32,48,64,100').split(',').map(Number);
const settings: StepSettings = {
  seconds: Number(process.env.BENCH_STEP_SECONDS ?? 20),
  warmupSeconds: 3,
  drainSeconds: 5,
  settleSeconds: 20,
  p99GoalMs: 1000,
};
/** Quiet time before the first step, for the at-rest CPU. */
/** Long enough for the idle goal (≤ 5 % of a core at rest) to be read, not guessed. */
const REST_SECONDS = Number(process.env.BENCH_REST_SECONDS ?? 30);

const began = performance.now();
const deadline = began + budgetSeconds * 1000;
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;
const say = (line: string) => console.log(`[${elapsed().padStart(5)}] ${line}`);

// Ctrl-C: stop at once. npx/tsx relay the terminal's signal, so a repeat within a second is its echo.
const stopping = new AbortController();
let firstSignalAt = 0;
function onSignal(signal: NodeJS.Signals): void {
  if (!stopping.signal.aborted) {
    firstSignalAt = Date.now();
    console.log(`\n${signal}: stopping; open orders are given up, nothing is written (again to exit at once)`);
    stopping.abort();
  } else if (Date.now() - firstSignalAt > 1000) {
    process.exit(130);
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

for (const url of [gatewayUrl, inventoryUrl]) checkTarget(url, false);
const temporalHost = config()
  .TEMPORAL_ADDRESS.replace(/:\d+$/, '')
  .replace(/^\[|\]$/g, '');
if (!isLoopbackHost(temporalHost))
  throw new Error(`TEMPORAL_ADDRESS ${config().TEMPORAL_ADDRESS} is not this machine; the benchmark only runs on loopback`);

/** One ceiling order: the workflow start as the order service does it, then its result by long poll. */
function ceilingJourney(temporal: Client, nextOrder: () => LoadOrder): Journey {
  return async (abandon): Promise<JourneyOutcome> => {
    const load = nextOrder();
    const submittedAt = performance.now();
    const input = { orderId: randomUUID(), order: load.order, acceptedAt: new Date().toISOString() };
    let acceptMs: number | undefined;
    try {
      const handle = await temporal.connection.withAbortSignal(abandon, () => startCeilingOrder(temporal, input));
      acceptMs = performance.now() - submittedAt;
      const result = await temporal.connection.withAbortSignal(abandon, () => handle.result());
      return { outcome: result.status, acceptMs, completeMs: performance.now() - submittedAt };
    } catch (error) {
      return { outcome: failureOf(error, abandon), ...(acceptMs !== undefined ? { acceptMs } : {}) };
    }
  };
}

/** The Node services profiled, busiest first: the order worker, then a consumer. */
const PROFILED_SERVICES = ['order', 'analytics'];

/**
 * One more step at the given rate, with the services in PROFILED_SERVICES profiled one after the
 * other while it runs (one inspector port, so not at once). Its numbers are not reported.
 */
async function profiledStep(rate: number, journey: Journey, pieces: ReturnType<typeof estatePieces>): Promise<ProfileOutcome[]> {
  if (stopping.signal.aborted || performance.now() + (settings.seconds + 10) * 1000 >= deadline) return [];
  const targets = PROFILED_SERVICES.flatMap((name) => pieces.filter((piece) => piece.name === name));
  const seconds = Math.max(2, Math.floor((settings.seconds - settings.warmupSeconds) / targets.length) - 1);
  say(`profiling ${targets.map((piece) => piece.name).join(' and ')} at ${rate}/s, ${seconds} s each …`);
  const profiles: ProfileOutcome[] = [];
  const profiling = (async () => {
    if (!(await pause(settings.warmupSeconds * 1000, stopping.signal))) return;
    for (const piece of targets) {
      if (stopping.signal.aborted) return;
      const outcome = await profileNodeProcess(piece.name, piece.pid, seconds, root);
      say(
        'skipped' in outcome
          ? outcome.skipped
          : `profiled ${piece.name}: ${outcome.profile.byPlace
              .slice(0, 3)
              .map((share) => `${share.where} ${share.percent.toFixed(0)} %`)
              .join(', ')}`,
      );
      profiles.push(outcome);
    }
  })();
  await Promise.all([runStep(rate, settings, journey, pieces, stopping.signal), profiling]);
  return profiles;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = hostLoad();
  const othersAtStart = heavyOthers();
  say(`saga benchmark against ${gatewayUrl} and Temporal ${config().TEMPORAL_ADDRESS}; budget ${budgetSeconds} s`);
  if (othersAtStart.length) say(`note: other heavy work is running, numbers will be noisy: ${othersAtStart.join('; ')}`);
  say(`host load average ${loadAtStart.map((load) => load.toFixed(2)).join(' / ')}`);

  await checkGateway(new GatewayClient({ baseUrl: gatewayUrl, requestTimeoutMs: 5_000, ...gatewayCredentials(undefined) }), gatewayUrl);
  say(`stocked ${await stockBenchProducts()} BENCH-* products to ${BENCH_STOCK.toLocaleString('en-US')} units each`);
  const pieces = estatePieces(root);
  say(`estate: ${pieces.map((piece) => `${piece.name} (${piece.pid})`).join(', ')}`);
  const machine = machineFacts(root, pieces);
  const telemetry = servicesTelemetry(pieces);

  const temporal = await connectClient();
  say('bundling the ceiling workflow and creating its workers …');
  const ceilingWorkers = await createCeilingWorkers();
  const nextOrder = happyOrders();
  try {
    say(`measuring the estate at rest for ${REST_SECONDS} s …`);
    const restCpuStart = cpuSnapshot(pieces);
    await pause(REST_SECONDS * 1000, stopping.signal);
    const rest = { cpu: cpuBetween(restCpuStart, cpuSnapshot(pieces)), memory: memorySnapshot(pieces) };
    const restRss = rest.memory.filter((piece) => piece.estate).reduce((sum, piece) => sum + piece.rssKb, 0);
    say(`at rest: estate RSS ${(restRss / 2 ** 20).toFixed(2)} GiB, host CPU ${rest.cpu.hostBusyPercent.toFixed(0)} %`);

    // The saga gets a little under half the budget; the ceiling, whose climb is longer, the rest.
    const sagaDeadline = began + budgetSeconds * 1000 * 0.45;
    const announce = (label: string) => (rate: number) => say(`${label} ${rate}/s for ${settings.seconds} s …`);
    const report = (label: string) => (step: StepResult) => say(describeStep(label, step));
    const saga = await climb(
      ladder,
      settings,
      sagaJourney(temporal, nextOrder),
      pieces,
      stopping.signal,
      sagaDeadline,
      report('saga'),
      announce('saga'),
    );
    say(`saga: best ${saga.best ? `${saga.best.rate}/s` : 'none'}; ${saga.endedBy}`);
    const histories = {
      saga: await lastCompletedCost(temporal, orderWorkflowType),
      shipment: await lastCompletedCost(temporal, shipmentWorkflowType),
    };

    let accept: StepResult | undefined;
    if (!stopping.signal.aborted && performance.now() + (settings.seconds + 10) * 1000 < deadline) {
      const rate = Math.max(1, Math.round((saga.best?.rate ?? 2) / 2));
      announce('accept')(rate);
      accept = await runStep(rate, settings, sagaJourney(temporal, nextOrder), pieces, stopping.signal);
      say(describeStep('accept', accept));
    }

    const profiles = saga.best ? await profiledStep(saga.best.rate, sagaJourney(temporal, nextOrder), pieces) : [];

    const ceilingRunning = ceilingWorkers.run().catch((error: unknown) => {
      say(`ceiling workers failed: ${(error as Error).message}`);
      stopping.abort();
    });
    // A few unmeasured orders first: the ceiling workers' first activations (V8 compiling the
    // workflow bundle, an empty sticky cache) would otherwise land in its first step.
    if (!stopping.signal.aborted) {
      say('warming up the ceiling workers …');
      await runStep(2, { ...settings, seconds: 5 }, ceilingJourney(temporal, nextOrder), pieces, stopping.signal);
    }
    const ceiling = await climb(
      ladder,
      settings,
      ceilingJourney(temporal, nextOrder),
      pieces,
      stopping.signal,
      deadline,
      report('ceiling'),
      announce('ceiling'),
    );
    say(`ceiling: best ${ceiling.best ? `${ceiling.best.rate}/s` : 'none'}; ${ceiling.endedBy}`);
    await ceilingWorkers.shutdown();
    await ceilingRunning;

    if (saga.steps.length + ceiling.steps.length > 0) console.log(`\n${rateChart(saga.steps, ceiling.steps, settings.p99GoalMs)}\n`);
    if (stopping.signal.aborted) {
      say('interrupted: docs/benchmarks.md left as it was');
      return 130;
    }
    const section = renderSection({
      startedAt,
      finishedAt: new Date(),
      settings: { ...settings, ladder },
      machine,
      loadAtStart,
      loadAtEnd: hostLoad(),
      othersAtStart,
      telemetry,
      rest,
      saga,
      accept,
      ceiling,
      profiles,
      histories,
    });
    if (process.env.BENCH_NO_WRITE) console.log(section);
    else {
      writeSection(`${root}docs/benchmarks.md`, section);
      say('wrote the "End-to-end saga benchmark" section of docs/benchmarks.md');
    }
    return 0;
  } finally {
    await ceilingWorkers.shutdown();
    await temporal.connection.close();
  }
}

process.exit(
  await main().catch((error: unknown) => {
    // A down estate or a refused stock-up: say what and where, without a stack trace.
    console.error(`saga benchmark: ${(error as Error).message}`);
    return 1;
  }),
);
