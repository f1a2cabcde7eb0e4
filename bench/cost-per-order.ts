/**
 * What one order costs the running estate (`make up`), for before/after comparisons of a change
 * (issue 15, docs/benchmarks.md "Cost per order"): the estate's CPU at rest, then one step at a fixed
 * rate through the gateway with each piece's CPU-ms per completed order, the accept and saga
 * latencies, and what the last completed order's saga and shipment workflows cost Temporal (history
 * events by kind, workflow and activity tasks, timers, markers, upserts, state transitions). The full climb with the ceiling
 * is bench/saga-throughput.ts; this is the short measurement between two changes.
 *
 *   npx tsx bench/cost-per-order.ts                              # 60 s at rest, 4 orders/s for 30 s
 *   COST_RATE=6 COST_SECONDS=20 COST_REST_SECONDS=30 npx tsx bench/cost-per-order.ts
 *
 * Loopback only; prints, writes nothing. The host's load average is printed with every figure: on a
 * shared 2-core machine a number is only worth its load.
 */
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { GatewayClient, gatewayCredentials } from '../loadgen/gateway-client.js';
import { checkTarget } from '../loadgen/options.js';
import { checkGateway } from '../loadgen/preflight.js';
import { pause } from '../loadgen/pause.js';
import { orderWorkflowType } from '../platform/contracts/workflow.js';
import { shipmentWorkflowType } from '../platform/contracts/shipment.js';
import { connectClient } from '../platform/temporal.js';
import { gatewayUrl, happyOrders, inventoryUrl, sagaJourney, stockBenchProducts } from './saga-journeys.js';
import { cpuBetween, cpuSnapshot, type CpuUsage, estatePieces } from './saga-processes.js';
import { runStep } from './saga-steps.js';
import { describeCost, lastCompletedCost } from './workflow-cost.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const rate = Number(process.env.COST_RATE ?? 4);
const seconds = Number(process.env.COST_SECONDS ?? 30);
const restSeconds = Number(process.env.COST_REST_SECONDS ?? 60);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
const estateShare = (cpu: CpuUsage) =>
  cpu.pieces
    .filter((piece) => piece.estate)
    .reduce((sum, piece) => sum + (Number.isFinite(piece.percentOfCore) ? piece.percentOfCore : 0), 0);

for (const url of [gatewayUrl, inventoryUrl]) checkTarget(url, false);
await checkGateway(new GatewayClient({ baseUrl: gatewayUrl, requestTimeoutMs: 5_000, ...gatewayCredentials(undefined) }), gatewayUrl);
await stockBenchProducts();
const pieces = estatePieces(root);
const temporal = await connectClient();
const stop = new AbortController();
process.on('SIGINT', () => stop.abort());

console.log(`node ${process.version}; estate: ${pieces.map((piece) => piece.name).join(', ')}; load ${load()}`);
if (restSeconds > 0) {
  const before = cpuSnapshot(pieces);
  await pause(restSeconds * 1000, stop.signal);
  const rest = cpuBetween(before, cpuSnapshot(pieces));
  console.log(`\nat rest, ${restSeconds} s: estate ${estateShare(rest).toFixed(1)} % of a core (load ${load()})`);
  for (const piece of rest.pieces.filter((p) => p.estate).sort((a, b) => b.percentOfCore - a.percentOfCore))
    console.log(`  ${piece.name.padEnd(13)} ${piece.percentOfCore.toFixed(1)} %`);
}

// CPU is counted from the step's first order until its last one ended (not only its steady part, as
// the climb does): on a busy host the orders finish late, and their cost must still be theirs.
const settings = { seconds, warmupSeconds: 3, drainSeconds: 5, settleSeconds: 20, p99GoalMs: 1000 };
const stepStart = cpuSnapshot(pieces);
const step = await runStep(rate, settings, sagaJourney(temporal, happyOrders()), pieces, stop.signal);
const window = cpuBetween(stepStart, cpuSnapshot(pieces));
const perOrder = (percent: number) => (percent * 10 * window.seconds) / step.completed;
console.log(
  `\n${rate}/s for ${seconds} s: ${step.completed}/${step.submitted} completed in ${window.seconds.toFixed(1)} s, ` +
    `saga p50 ${step.latency?.p50.toFixed(0)} ms p99 ${step.latency?.p99.toFixed(0)} ms, ` +
    `accept p50 ${step.accept?.p50.toFixed(1)} ms p99 ${step.accept?.p99.toFixed(1)} ms, host ${window.hostBusyPercent.toFixed(0)} % busy, ` +
    `others ${window.othersPercentOfCore.toFixed(0)} % of a core (load ${load()})${step.passed ? '' : `; missed: ${step.reasons.join('; ')}`}`,
);
console.log(`  estate: ${perOrder(estateShare(window)).toFixed(1)} CPU-ms per completed order (its idle cost in that time included)`);
for (const piece of window.pieces.filter((p) => p.estate).sort((a, b) => b.percentOfCore - a.percentOfCore))
  console.log(`  ${piece.name.padEnd(13)} ${perOrder(piece.percentOfCore).toFixed(1)} ms  (${piece.percentOfCore.toFixed(1)} % of a core)`);

// What the last completed saga, and the last delivered shipment, cost Temporal.
for (const [label, workflowType] of [
  ['saga', orderWorkflowType],
  ['shipment', shipmentWorkflowType],
] as const) {
  const cost = await lastCompletedCost(temporal, workflowType);
  console.log(cost ? `\nlast completed ${label} ${cost.workflowId}: ${describeCost(cost)}` : `\nno completed ${label} yet`);
}
await temporal.connection.close();
