/**
 * The chaos suite's verdict can fail: each finding that must fail a run is planted in an otherwise
 * clean report and seen to fail it. Also the kill schedule (every target once, first round always
 * finished), the command line's bounds, and the timeline's marks.
 */
import test from 'ava';
import { seededRandom } from '../../loadgen/random.js';
import { allTargets } from '../../infra/programs/chaos/estate.js';
import { parseChaosCommandLine, UsageError } from '../../infra/programs/chaos/options.js';
import {
  formatReport,
  timeline,
  verdict,
  type ChaosReport,
  type KillFault,
  type ReportWithoutVerdict,
} from '../../infra/programs/chaos/report.js';
import { KillSchedule } from '../../infra/programs/chaos/schedule.js';

function kill(target: KillFault['target'], atMs: number, recoveryMs: number | undefined): KillFault {
  return {
    kind: 'kill',
    n: 1,
    target,
    pid: 4242,
    atMs,
    restartedAfterMs: 1_000,
    healthyAfterMs: 3_000,
    ...(recoveryMs !== undefined && {
      recoveryMs,
      probe: { orderId: 'probe', status: 'COMPLETED', submitAttempts: 1, acceptedAfterMs: 3_500, terminalAfterMs: recoveryMs },
    }),
    recovered: recoveryMs !== undefined,
    ordersDuring: { submitted: 10, accepted: 6 },
  };
}

function cleanReport(): ReportWithoutVerdict {
  return {
    runner: 'ordersaga chaos',
    startedAt: '2026-11-28T08:00:00.000Z',
    finishedAt: '2026-11-28T08:05:00.000Z',
    settings: { duration: '60s', rate: '1/s', targets: ['gateway', 'kafka'] },
    faults: [
      kill('gateway', 5_000, 8_000),
      { kind: 'latency', n: 2, steps: ['reserve'], atMs: 10_000, endMs: 25_000, latencyMs: 1_500, jitterMs: 1_500, notRestored: [] },
      kill('kafka', 30_000, 20_000),
    ],
    notKilled: [],
    orders: {
      submitted: 60,
      accepted: 50,
      refused: 8,
      submitFailed: 2,
      acceptedUnacknowledged: 0,
      probes: 2,
      audited: 52,
      terminal: { COMPLETED: 40, CANCELLED: 12 },
      nonTerminal: [],
      errorsByKind: { 'submit:http-503': 8, 'submit:network-ECONNREFUSED': 2 },
      acceptedShare: { overall: 50 / 60, duringFaults: 0.6, outsideFaults: 1 },
    },
    throughput: {
      bucketMs: 1_000,
      accepted: Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? 0 : 1)),
      refused: Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? 1 : 0)),
    },
    audit: { orders: 52, byStatus: { COMPLETED: 40, CANCELLED: 12 }, violations: [], errors: [], durationMs: 4_000 },
  };
}

test('a clean run passes', (t) => {
  t.deepEqual(verdict(cleanReport()), { ok: true, reasons: [] });
});

const plantings: [string, (report: ReportWithoutVerdict) => void, RegExp][] = [
  [
    'a violation',
    (r) =>
      r.audit!.violations.push({ rule: 'reservations.settled', message: 'order x (CANCELLED): reservation is RESERVED', orderId: 'x' }),
    /1 violation/,
  ],
  ['a source the auditor could not read', (r) => r.audit!.errors.push('ledger: payment-sim answered 503'), /could not read: ledger/],
  ['no audit at all', (r) => delete r.audit, /auditor did not run/],
  [
    'an order not terminal',
    (r) => r.orders.nonTerminal.push({ orderId: 'y', status: 'STOCK_RESERVED' }),
    /1 accepted order\(s\) not terminal/,
  ],
  ['a fault never recovered', (r) => r.faults.push(kill('postgres', 50_000, undefined)), /no recovery after killing postgres/],
  ['a target never killed', (r) => r.notKilled.push('temporal'), /never killed: temporal/],
  [
    'latency left behind',
    (r) =>
      r.faults.push({
        kind: 'latency',
        n: 4,
        steps: ['schedule'],
        atMs: 1,
        endMs: 2,
        latencyMs: 1,
        jitterMs: 0,
        notRestored: ['schedule'],
      }),
    /latency left in place on schedule/,
  ],
  ['nothing accepted', (r) => (r.orders.accepted = 0), /no order was accepted/],
];
for (const [what, plant, reason] of plantings) {
  test(`a run fails on ${what}`, (t) => {
    const report = cleanReport();
    plant(report);
    const found = verdict(report);
    t.false(found.ok);
    t.regex(found.reasons.join('; '), reason);
    t.regex(formatReport({ ...report, verdict: found }), /verdict: FAIL/);
  });
}

test('the summary names each fault with its recovery, the shares, and the verdict', (t) => {
  const report: ChaosReport = { ...cleanReport(), verdict: { ok: true, reasons: [] } };
  const text = formatReport(report);
  t.regex(text, /kill gateway +5\.0 s +1\.0 s +3\.0 s +8\.0 s +6\/10/);
  t.regex(text, /slow reserve/);
  t.regex(text, /60\.0% during kills, 100\.0% outside them/);
  t.regex(text, /failures by kind: submit:http-503 8 · submit:network-ECONNREFUSED 2/);
  t.regex(text, /verdict: PASS/);
});

test('the timeline marks each kill, the time down and recovering, the latency windows and throughput', (t) => {
  const rows = timeline(cleanReport(), 60);
  const gateway = rows.find((row) => row.startsWith('gateway'))!;
  const kafka = rows.find((row) => row.startsWith('kafka'))!;
  t.is(gateway.slice(14).length, 60);
  t.is(gateway.slice(14).indexOf('X'), 5);
  t.true(gateway.includes('█') && gateway.includes('░'));
  t.is(kafka.slice(14).indexOf('X'), 30);
  t.regex(
    rows.find((row) => row.startsWith('slow'))!,
    /R{10,}/,
  );
  t.truthy(rows.find((row) => row.startsWith('accepted')));
  t.regex(
    rows.find((row) => row.startsWith('refused'))!,
    /█/,
  );
});

test('the kill schedule kills every target once first, then others while time is left, never the same twice running', (t) => {
  const schedule = new KillSchedule(allTargets, { durationMs: 600_000, maxKills: 25 }, seededRandom(7));
  const plans = [];
  let elapsed = 0;
  for (let plan = schedule.next(elapsed); plan; plan = schedule.next(elapsed)) {
    plans.push(plan);
    elapsed += plan.pauseMs + 15_000;
  }
  t.deepEqual(
    plans
      .slice(0, allTargets.length)
      .map((plan) => plan.target)
      .sort(),
    [...allTargets].sort(),
  );
  t.true(plans.slice(0, allTargets.length).every((plan) => plan.firstRound));
  t.true(plans.length > allTargets.length && plans.length <= 25);
  for (let i = 1; i < plans.length; i += 1) t.not(plans[i]!.target, plans[i - 1]!.target);
  t.deepEqual(schedule.notYetKilled, []);
});

test('the first round finishes even when the time is up; a kill that did not happen is put back', (t) => {
  const schedule = new KillSchedule(['gateway', 'kafka'], { durationMs: 10_000, maxKills: 4 }, seededRandom(1));
  const first = schedule.next(50_000)!;
  t.true(first.firstRound);
  schedule.putBack(first);
  t.is(schedule.notYetKilled.length, 2);
  t.truthy(schedule.next(50_000));
  t.truthy(schedule.next(50_000));
  t.is(schedule.next(50_000), undefined, 'no extra kills once the time is up');
});

test('the command line is bounded and stays on this machine', (t) => {
  const parsed = parseChaosCommandLine(['--duration', '99999', '--rate', '500', '--targets', 'gateway,kafka'], {});
  if (parsed.help) return t.fail();
  t.is(parsed.options.durationMs, 3_600_000);
  t.is(parsed.options.ratePerSecond, 20);
  t.deepEqual(parsed.options.targets, ['gateway', 'kafka']);
  t.is(parsed.warnings.length, 2);
  t.throws(() => parseChaosCommandLine(['--url', 'http://example.com:8080'], {}), { instanceOf: UsageError });
  t.throws(() => parseChaosCommandLine(['--targets', 'gateway,redis'], {}), { instanceOf: UsageError, message: /unknown redis/ });
  const none = parseChaosCommandLine(['--targets', 'none'], {});
  t.deepEqual(!none.help && none.options.targets, []);
});
