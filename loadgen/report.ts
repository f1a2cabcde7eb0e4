/**
 * The end of a run, for people (a plain-text summary) and for machines (`--json`): totals, terminal
 * statuses, outcomes per scenario against what each scenario should lead to, errors by kind, and
 * latency percentiles.
 */
import { writeFile } from 'node:fs/promises';
import { terminalStatuses } from '../platform/contracts/order.js';
import { formatCount, formatMs, formatSeconds } from './format.js';
import type { LatencySummary } from './latency.js';
import { describeMix } from './mix.js';
import type { LoadOptions } from './options.js';
import type { ErrorKind, OrderRecord, RunSnapshot } from './run-record.js';

/** Timer jitter stays well below this; more means the load generator could not keep its own pace. */
const SCHEDULE_LAG_WORTH_NOTING_MS = 100;

export interface RunReport {
  generator: 'ordersaga-loadgen';
  startedAt: string;
  finishedAt: string;
  target: string;
  settings: Record<string, unknown>;
  /** Flags that were lowered to a hard cap. */
  warnings: string[];
  /** Why submission stopped early, if it did (e.g. SIGINT). */
  interrupted: string | null;
  summary: RunSnapshot;
  orders: OrderRecord[];
}

export function describeModel(options: LoadOptions): string {
  const { model } = options;
  const bound =
    options.durationGiven && options.countGiven
      ? `for ${options.durationSeconds} s or ${formatCount(options.maxCount)} orders`
      : options.countGiven
        ? `for ${formatCount(options.maxCount)} orders`
        : `for ${options.durationSeconds} s`;
  const ramp = options.rampSeconds > 0 ? `, ramp ${options.rampSeconds} s` : '';
  return model.kind === 'open'
    ? `open model ${model.ratePerSecond}/s (${model.arrivals}) ${bound}${ramp}`
    : `closed model ${model.concurrency} customers${model.thinkMs ? ` (think ${model.thinkMs} ms)` : ''} ${bound}${ramp}`;
}

/** What the JSON records of how the run was asked for (never the API key). */
export function settingsOf(options: LoadOptions): Record<string, unknown> {
  const { apiKey, mix, ...rest } = options;
  return { ...rest, mix: Object.fromEntries(mix.map((entry) => [entry.scenario, entry.weight])), apiKey: apiKey ? '(set)' : null };
}

export function buildReport(args: {
  options: LoadOptions;
  warnings: string[];
  startedAt: Date;
  interrupted: string | undefined;
  snapshot: RunSnapshot;
  orders: OrderRecord[];
}): RunReport {
  return {
    generator: 'ordersaga-loadgen',
    startedAt: args.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    target: args.options.baseUrl,
    settings: settingsOf(args.options),
    warnings: args.warnings,
    interrupted: args.interrupted ?? null,
    summary: args.snapshot,
    orders: args.orders,
  };
}

export async function writeJsonReport(file: string, report: RunReport): Promise<void> {
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
}

/** A sentence for each kind of error, so the summary reads without this file open. */
export function explainError(kind: ErrorKind): string {
  const [stage = '', what = ''] = kind.split(':');
  const http = /^http-(\d{3})$/.exec(what)?.[1];
  const network = /^network-(.+)$/.exec(what)?.[1];
  if (kind === 'terminal:timeout') return 'no terminal status before the per-order deadline';
  if (kind === 'terminal:abandoned') return 'still in flight when the run was stopped';
  if (kind === 'loadgen:in-flight-cap') return 'arrival skipped: --max-in-flight orders were unfinished';
  if (stage === 'cancel' && what.startsWith('unsupported')) return 'cancel unsupported by the estate (404/405)';
  const action = { submit: 'submitting the order', poll: 'reading the order status', cancel: 'cancelling the order' }[stage] ?? stage;
  if (http) return `${action}: HTTP ${http}`;
  if (network) return `${action}: network error ${network}`;
  if (what === 'timeout') return `${action}: no answer within --request-timeout`;
  if (what === 'bad-body') return `${action}: answer not understood`;
  return kind;
}

function latencyRow(label: string, summary: LatencySummary | undefined, note = ''): string {
  const cells = summary
    ? [summary.p50, summary.p90, summary.p99, summary.max].map((value) => formatMs(value).padStart(8))
    : ['–', '–', '–', '–'].map((cell) => cell.padStart(8));
  return `  ${label.padEnd(17)}${formatCount(summary?.count ?? 0).padStart(7)}${cells.join('')}${note ? `   ${note}` : ''}`;
}

export function latencyTable(latency: RunSnapshot['latencyMs'], withNotes: boolean): string[] {
  return [
    `  ${'latency (ms)'.padEnd(17)}${'count'.padStart(7)}${['p50', 'p90', 'p99', 'max'].map((head) => head.padStart(8)).join('')}`,
    latencyRow('accept', latency.accept, withNotes ? 'POST /orders → 202' : ''),
    latencyRow('submit→terminal', latency.submitToTerminal, withNotes ? 'as seen by polling' : ''),
    latencyRow('saga (server)', latency.saga, withNotes ? 'PENDING → terminal in the order history' : ''),
  ];
}

export function formatSummary(report: RunReport, options: LoadOptions): string {
  const s = report.summary;
  const lines: string[] = [];
  const ending = report.interrupted ? `interrupted (${report.interrupted})` : 'finished';
  lines.push(`ordersaga load run ${ending} after ${formatSeconds(s.elapsedMs)}: ${describeModel(options)}, against ${report.target}`);
  lines.push(
    `  mix ${describeMix(options.mix)} · TCP share ${Math.round(options.tcpShare * 100)}% · ${options.customers} customers · seed ${options.seed}`,
  );
  for (const warning of report.warnings) lines.push(`  note: ${warning}`);
  lines.push('');

  const settled = terminalStatuses.reduce((sum, status) => sum + s.terminal[status], 0);
  const row = (label: string, value: number, note = '') =>
    `  ${label.padEnd(20)}${formatCount(value).padStart(7)}${note ? `   ${note}` : ''}`;
  lines.push('orders');
  lines.push(row('submitted', s.submitted));
  lines.push(row('accepted', s.accepted, s.submitted ? `${((s.accepted / s.submitted) * 100).toFixed(1)}% answered 202` : ''));
  if (s.skipped) lines.push(row('skipped', s.skipped, 'open model: in-flight cap reached'));
  if (s.maxScheduleLagMs > SCHEDULE_LAG_WORTH_NOTING_MS) {
    lines.push(`  note: an order left up to ${formatMs(s.maxScheduleLagMs)} ms behind its schedule (the load generator was short of CPU)`);
  }
  lines.push(row('terminal', settled));
  for (const status of terminalStatuses) lines.push(row(`  ${status}`, s.terminal[status]));
  lines.push(row('timed out', s.timedOut, `no terminal status within ${options.deadlineMs / 1000} s`));
  if (s.abandoned) lines.push(row('abandoned', s.abandoned, 'in flight when the run was stopped'));
  if (s.inFlight) lines.push(row('still in flight', s.inFlight));
  lines.push(
    row(
      'status polls',
      s.polls,
      `${s.accepted ? (s.polls / s.accepted).toFixed(1) : '0'} per accepted order (at most ${options.pollConcurrency} at once, ${options.pollsPerSecond}/s)`,
    ),
  );
  lines.push('');

  lines.push(`by scenario          ${'sent'.padStart(6)}${'expected'.padStart(19)}${'as expected'.padStart(13)}   otherwise`);
  for (const [scenario, tally] of Object.entries(s.scenarios)) {
    const hits = tally.outcomes[tally.expected] ?? 0;
    const others = Object.entries(tally.outcomes)
      .filter(([outcome]) => outcome !== tally.expected)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ');
    lines.push(
      `  ${scenario.padEnd(18)}${formatCount(tally.submitted).padStart(6)}${tally.expected.padStart(19)}${`${hits}/${tally.submitted}`.padStart(13)}   ${others}`.trimEnd(),
    );
  }
  const cancels = Object.entries(s.cancels);
  if (cancels.length) lines.push(`  cancel requests: ${cancels.map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`);
  lines.push('');

  const errors = Object.entries(s.errors);
  lines.push(errors.length ? 'errors by kind' : 'errors by kind: none');
  for (const [kind, count] of errors) lines.push(`  ${kind.padEnd(28)}${formatCount(count).padStart(6)}   ${explainError(kind)}`);
  lines.push('');

  lines.push(...latencyTable(s.latencyMs, true));
  return lines.join('\n');
}
