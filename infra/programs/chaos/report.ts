/**
 * What a chaos run found, for people (a summary with a timeline of faults and throughput) and for
 * machines (`--json`), and the verdict: a run passes only when the auditor found no violation and
 * could read every source, every accepted order is terminal, every fault recovered, every target
 * was killed at least once, and every latency setting was put back. Pure, so the verdict is tested
 * with planted findings (test/unit/chaos-report.test.ts).
 */
import type { Target } from './estate.js';
import type { SlowStep } from './latency.js';

export interface ProbeOrder {
  orderId?: string;
  status?: string;
  submitAttempts: number;
  /** From the kill. */
  acceptedAfterMs?: number;
  terminalAfterMs?: number;
}

export interface KillFault {
  kind: 'kill';
  n: number;
  target: Target;
  pid: number;
  /** Since the run began. */
  atMs: number;
  /** From the kill to a new process in the pidfile (the supervisor restarted it). */
  restartedAfterMs?: number;
  /** From the kill to the piece answering its clients again. */
  healthyAfterMs?: number;
  /** An order submitted once the piece was healthy, followed to its end. */
  probe?: ProbeOrder;
  /** From the kill to the probe order's terminal status: the time to recover. */
  recoveryMs?: number;
  recovered: boolean;
  note?: string;
  /** Load orders submitted between the kill and the recovery. */
  ordersDuring: { submitted: number; accepted: number };
}

export interface LatencyFault {
  kind: 'latency';
  n: number;
  steps: SlowStep[];
  atMs: number;
  endMs: number;
  latencyMs: number;
  jitterMs: number;
  /** Steps whose earlier setting could not be put back. */
  notRestored: SlowStep[];
}

export type Fault = KillFault | LatencyFault;

export interface AuditFinding {
  rule: string;
  message: string;
  orderId?: string;
}

export interface AuditSummary {
  orders: number;
  byStatus: Record<string, number>;
  violations: AuditFinding[];
  /** Sources that could not be read: an error, never a pass. */
  errors: string[];
  durationMs: number;
}

export interface ChaosReport {
  runner: 'ordersaga chaos';
  startedAt: string;
  finishedAt: string;
  settings: Record<string, unknown>;
  faults: Fault[];
  /** Targets of the run that were never killed (the run was too short). */
  notKilled: Target[];
  orders: {
    submitted: number;
    /** Answered 202 by the gateway. */
    accepted: number;
    /** Answered otherwise (503 while a piece was down, …). */
    refused: number;
    /** No answer: the connection failed or timed out. */
    submitFailed: number;
    /** Orders the estate recorded whose 202 never reached the client (a piece died mid-request). */
    acceptedUnacknowledged: number;
    /** Recovery probes (see KillFault.probe), audited with the rest. */
    probes: number;
    /** Everything the estate accepted in this run: load, unacknowledged and probes. */
    audited: number;
    terminal: Record<string, number>;
    nonTerminal: { orderId: string; status: string }[];
    /** The load generator's failures by kind (`submit:http-503`, `poll:network-ECONNREFUSED`, …), most frequent first. */
    errorsByKind: Record<string, number>;
    acceptedShare: { overall: number | null; duringFaults: number | null; outsideFaults: number | null };
  };
  throughput: { bucketMs: number; accepted: number[]; refused: number[] };
  audit?: AuditSummary;
  /** --plant-violation: what was planted, so a failing verdict can be told from a real one. */
  planted?: { orderId: string; what: string };
  verdict: { ok: boolean; reasons: string[] };
}

export type ReportWithoutVerdict = Omit<ChaosReport, 'verdict'>;

export function verdict(report: ReportWithoutVerdict): ChaosReport['verdict'] {
  const reasons: string[] = [];
  if (!report.audit) reasons.push('the auditor did not run');
  else {
    if (report.audit.violations.length > 0) reasons.push(`${report.audit.violations.length} violation(s) of the saga's invariants`);
    if (report.audit.errors.length > 0) reasons.push(`the auditor could not read: ${report.audit.errors.join('; ')}`);
  }
  if (report.orders.nonTerminal.length > 0)
    reasons.push(`${report.orders.nonTerminal.length} accepted order(s) not terminal by the deadline`);
  const unrecovered = report.faults.filter((fault): fault is KillFault => fault.kind === 'kill' && !fault.recovered);
  if (unrecovered.length > 0) reasons.push(`no recovery after killing ${unrecovered.map((fault) => fault.target).join(', ')}`);
  if (report.notKilled.length > 0) reasons.push(`never killed: ${report.notKilled.join(', ')} (run longer)`);
  const dirty = report.faults.filter((fault): fault is LatencyFault => fault.kind === 'latency' && fault.notRestored.length > 0);
  if (dirty.length > 0) reasons.push(`latency left in place on ${[...new Set(dirty.flatMap((fault) => fault.notRestored))].join(', ')}`);
  if (report.orders.accepted === 0) reasons.push('no order was accepted');
  return { ok: reasons.length === 0, reasons };
}

const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
const percent = (share: number | null): string => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);

/** The human summary: faults with their recovery, a timeline, the orders, the audit, the verdict. */
export function formatReport(report: ChaosReport, width = 60): string {
  const lines: string[] = [];
  const o = report.orders;
  lines.push(`ordersaga chaos run ${report.startedAt} → ${report.finishedAt}`);
  lines.push(
    `  ${Object.entries(report.settings)
      .map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(',') : String(value)}`)
      .join(' · ')}`,
  );
  lines.push('');
  lines.push('faults            at        restarted  healthy   recovered  orders during (accepted/submitted)');
  for (const fault of report.faults) {
    if (fault.kind === 'kill') {
      const recovered = fault.recovered ? seconds(fault.recoveryMs) : 'NO';
      lines.push(
        `  kill ${fault.target.padEnd(12)} ${seconds(fault.atMs).padStart(8)}  ${seconds(fault.restartedAfterMs).padStart(9)}  ${seconds(fault.healthyAfterMs).padStart(8)}  ${recovered.padStart(9)}  ${fault.ordersDuring.accepted}/${fault.ordersDuring.submitted}${fault.note ? `  (${fault.note})` : ''}`,
      );
    } else {
      lines.push(
        `  slow ${fault.steps.join('+').padEnd(12)} ${seconds(fault.atMs).padStart(8)}  for ${seconds(fault.endMs - fault.atMs)}, +${fault.latencyMs}-${fault.latencyMs + fault.jitterMs} ms${fault.notRestored.length ? `  NOT RESTORED: ${fault.notRestored.join(', ')}` : ''}`,
      );
    }
  }
  if (report.notKilled.length > 0) lines.push(`  never killed: ${report.notKilled.join(', ')}`);
  lines.push('');
  lines.push(...timeline(report, width));
  lines.push('');
  lines.push('orders');
  lines.push(
    `  submitted ${o.submitted} · accepted ${o.accepted} · refused ${o.refused} · no answer ${o.submitFailed} · accepted unacknowledged ${o.acceptedUnacknowledged} · probes ${o.probes}`,
  );
  const errors = Object.entries(o.errorsByKind).slice(0, 6);
  if (errors.length) lines.push(`  failures by kind: ${errors.map(([kind, count]) => `${kind} ${count}`).join(' · ')}`);
  lines.push(
    `  accepted share: ${percent(o.acceptedShare.overall)} overall, ${percent(o.acceptedShare.duringFaults)} during kills, ${percent(o.acceptedShare.outsideFaults)} outside them`,
  );
  lines.push(
    `  audited ${o.audited}: ${
      Object.entries(o.terminal)
        .map(([status, count]) => `${status} ${count}`)
        .join(' · ') || 'none terminal'
    }${o.nonTerminal.length ? ` · NOT TERMINAL ${o.nonTerminal.length}` : ''}`,
  );
  for (const order of o.nonTerminal.slice(0, 10)) lines.push(`    not terminal: ${order.orderId} (${order.status})`);
  lines.push('');
  if (report.audit) {
    const a = report.audit;
    lines.push(
      `audit (${a.orders} orders, ${seconds(a.durationMs)}): ${a.violations.length} violation(s)${a.errors.length ? `, ${a.errors.length} source error(s)` : ''}`,
    );
    for (const violation of a.violations.slice(0, 30)) lines.push(`  VIOLATION [${violation.rule}] ${violation.message}`);
    if (a.violations.length > 30) lines.push(`  … and ${a.violations.length - 30} more (see --json)`);
    for (const error of a.errors) lines.push(`  ERROR ${error}`);
  }
  if (report.planted) lines.push(`planted on purpose (--plant-violation): ${report.planted.what}, order ${report.planted.orderId}`);
  lines.push('');
  lines.push(report.verdict.ok ? 'verdict: PASS' : `verdict: FAIL: ${report.verdict.reasons.join('; ')}`);
  return lines.join('\n');
}

const sparks = ' ▁▂▃▄▅▆▇█';

/**
 * One row per killed target (X the kill, █ down until healthy, ░ healthy until the probe order
 * completed), one for the latency windows (the first letter of the slowed step, * for all three),
 * and accepted and refused orders per column as sparklines.
 */
export function timeline(report: ReportWithoutVerdict, width = 60): string[] {
  const kills = report.faults.filter((fault): fault is KillFault => fault.kind === 'kill');
  const windows = report.faults.filter((fault): fault is LatencyFault => fault.kind === 'latency');
  const loadMs = report.throughput.bucketMs * report.throughput.accepted.length;
  const spanMs = Math.max(
    loadMs,
    ...kills.map((fault) => fault.atMs + (fault.recoveryMs ?? fault.healthyAfterMs ?? 0)),
    ...windows.map((fault) => fault.endMs),
    1,
  );
  const column = (ms: number) => Math.min(width - 1, Math.max(0, Math.floor((ms / spanMs) * width)));
  const label = (text: string) => text.padEnd(13).slice(0, 13);
  const rows: string[] = [`timeline      0${' '.repeat(width - 2 - seconds(spanMs).length)}${seconds(spanMs)}`];

  const targets = [...new Set(kills.map((fault) => fault.target))];
  for (const target of targets) {
    const row = Array.from({ length: width }, () => '·');
    for (const fault of kills.filter((candidate) => candidate.target === target)) {
      const healthyAt = fault.atMs + (fault.healthyAfterMs ?? spanMs);
      const recoveredAt = fault.atMs + (fault.recoveryMs ?? spanMs);
      for (let c = column(fault.atMs); c <= column(recoveredAt); c += 1) row[c] = '░';
      for (let c = column(fault.atMs); c <= column(healthyAt); c += 1) row[c] = '█';
      row[column(fault.atMs)] = 'X';
    }
    rows.push(`${label(target)} ${row.join('')}`);
  }
  if (windows.length > 0) {
    const row = Array.from({ length: width }, () => '·');
    for (const fault of windows) {
      const mark = fault.steps.length > 1 ? '*' : fault.steps[0]![0]!.toUpperCase();
      for (let c = column(fault.atMs); c <= column(fault.endMs); c += 1) row[c] = mark;
    }
    rows.push(`${label('slow R/A/S/*')} ${row.join('')}`);
  }
  const perColumn = (counts: number[]): number[] => {
    const out = Array.from({ length: width }, () => 0);
    counts.forEach((count, bucket) => {
      out[column(bucket * report.throughput.bucketMs)]! += count;
    });
    return out;
  };
  const accepted = perColumn(report.throughput.accepted);
  const refused = perColumn(report.throughput.refused);
  const peak = Math.max(1, ...accepted, ...refused);
  const spark = (values: number[]) =>
    values.map((value) => (value === 0 ? '·' : sparks[Math.max(1, Math.round((value / peak) * (sparks.length - 1)))])).join('');
  rows.push(`${label('accepted')} ${spark(accepted)}`);
  rows.push(`${label('refused')} ${spark(refused)}`);
  rows.push(`${' '.repeat(14)}(one column = ${seconds(spanMs / width)}; tallest bar = ${peak} orders)`);
  return rows;
}
