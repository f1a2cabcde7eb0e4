/**
 * `npx tsx loadgen/main.ts [options]`: the ordersaga load generator (docs/load-generator.md).
 * Wiring only: read the command line, check the gateway, run the load with a live view, print the
 * summary, and exit 0 if any order was accepted.
 */
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GatewayClient, gatewayCredentials } from './gateway-client.js';
import { customerPool } from './customers.js';
import { LiveView, type RunPhase } from './live-view.js';
import { LoadRun } from './load-run.js';
import { describeMix } from './mix.js';
import { helpText, parseCommandLine, UsageError, type LoadOptions } from './options.js';
import { basketSkus, checkGateway, LOW_STOCK_UNITS, PreflightError } from './preflight.js';
import { seededRandom } from './random.js';
import { buildReport, describeModel, formatSummary, writeJsonReport } from './report.js';
import { createOrderFactory } from './scenarios.js';
import { rateAt } from './schedule.js';

function readCommandLine(): { options: LoadOptions; warnings: string[] } {
  try {
    const parsed = parseCommandLine(process.argv.slice(2));
    if (parsed.help) {
      process.stdout.write(helpText);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`loadgen: ${error.message}\nRun with --help for the options.\n`);
    process.exit(2);
  }
}

const { options, warnings } = readCommandLine();
for (const warning of warnings) process.stderr.write(`loadgen: note: ${warning}\n`);
if (options.jsonFile) {
  try {
    await access(dirname(resolve(options.jsonFile)), constants.W_OK);
  } catch {
    process.stderr.write(`loadgen: cannot write --json ${options.jsonFile}: its folder does not exist or is read-only\n`);
    process.exit(2);
  }
}
let credentials: ReturnType<typeof gatewayCredentials>;
try {
  credentials = gatewayCredentials(options.apiKey);
} catch (error) {
  process.stderr.write(`loadgen: ${(error as Error).message}; or pass --api-key <token> (make token CUSTOMER=<id>)\n`);
  process.exit(2);
}
const clientSettings = { baseUrl: options.baseUrl, requestTimeoutMs: options.requestTimeoutMs, ...credentials };

const preflight = new GatewayClient(clientSettings);
try {
  await checkGateway(preflight, options.baseUrl);
} catch (error) {
  if (!(error instanceof PreflightError)) throw error;
  process.stderr.write(`loadgen: ${error.message}\n`);
  process.exit(1);
}
const stock = await basketSkus(preflight);
if (stock.low.length)
  process.stderr.write(`loadgen: note: fewer than ${LOW_STOCK_UNITS} left of ${stock.low.join(', ')}: kept out of ordinary baskets\n`);

const random = seededRandom(options.seed);
const orders = createOrderFactory({
  customers: customerPool(options.customers, random),
  tcpShare: options.tcpShare,
  random,
  ...(stock.skus ? { basketSkus: stock.skus } : {}),
});
const run = new LoadRun(options, (abandon) => new GatewayClient({ ...clientSettings, signal: abandon }), orders, random);

// Ctrl-C once: stop submitting, give orders in flight --grace to finish. Twice: give up on them now.
// One Ctrl-C often arrives twice (from the terminal, and relayed by a parent such as npm or tsx's
// watcher): a repeat within a second is that echo, not the user.
const SIGNAL_ECHO_MS = 1_000;
let interruptedAt: number | undefined;
let graceTimer: NodeJS.Timeout | undefined;
function interrupt(signal: NodeJS.Signals): void {
  if (interruptedAt === undefined) {
    interruptedAt = performance.now();
    run.stop(signal);
    graceTimer = setTimeout(() => run.abandon(), options.graceMs);
  } else if (performance.now() - interruptedAt > SIGNAL_ECHO_MS) {
    run.abandon();
  }
}
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

const header = `ordersaga load · ${options.model.kind === 'open' ? `open ${options.model.ratePerSecond}/s` : `closed ${options.model.concurrency} customers`} → ${options.baseUrl}`;
const phase = (): RunPhase =>
  interruptedAt !== undefined
    ? { kind: 'interrupted', graceLeftMs: Math.max(0, options.graceMs - (performance.now() - interruptedAt)) }
    : run.draining
      ? { kind: 'draining' }
      : { kind: 'submitting' };
const view = new LiveView(
  {
    snapshot: () => run.record.snapshot(),
    context: (recentRate) => ({
      header,
      durationSeconds: options.durationSeconds,
      phase: phase(),
      recentRate,
      targetRate:
        options.model.kind === 'open' && !run.draining
          ? rateAt({ ratePerSecond: options.model.ratePerSecond, rampSeconds: options.rampSeconds }, run.record.elapsedMs / 1000)
          : undefined,
      polls: { active: run.polls.inUse, queued: run.polls.queued, limit: run.polls.concurrency },
      deadlineSeconds: options.deadlineMs / 1000,
    }),
  },
  process.stdout,
  options.plain,
);

const startedAt = new Date();
process.stdout.write(
  `loadgen: ${describeModel(options)} against ${options.baseUrl}\nloadgen: mix ${describeMix(options.mix)}; seed ${options.seed}\n`,
);
view.start();
await run.run();
clearTimeout(graceTimer);
view.stop();

const report = buildReport({
  options,
  warnings,
  startedAt,
  interrupted: run.interruptedBy,
  snapshot: run.record.snapshot(),
  orders: run.record.orders,
});
process.stdout.write(`\n${formatSummary(report, options)}\n`);
if (options.jsonFile) {
  await writeJsonReport(options.jsonFile, report);
  process.stdout.write(`\nloadgen: wrote ${options.jsonFile} (summary and ${report.orders.length} orders with their trace ids)\n`);
}
// Idle keep-alive sockets would hold the process open for a few seconds more; the work is done.
process.exit(report.summary.accepted > 0 ? 0 : 1);
