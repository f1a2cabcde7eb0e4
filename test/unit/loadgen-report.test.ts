/** What the load generator prints (loadgen/report.ts, loadgen/live-view.ts), from a made-up run. */
import test from 'ava';
import { RecentRate, renderLine, renderPanel, type ViewContext } from '../../loadgen/live-view.js';
import { parseCommandLine, type LoadOptions } from '../../loadgen/options.js';
import { buildReport, explainError, formatSummary, settingsOf } from '../../loadgen/report.js';
import { RunRecord } from '../../loadgen/run-record.js';

function someRun(): RunRecord {
  const record = new RunRecord(100);
  const happy = record.begin({ scenario: 'happy', customerId: 'cust-kim', channel: 'http', traceId: 'a'.repeat(32) });
  record.accept(happy, 'order-1', 202, 12.345);
  record.settle(happy, 'COMPLETED', { terminalMs: 640.5, sagaMs: 300 });
  const cancel = record.begin({ scenario: 'cancel', customerId: 'cust-lee', channel: 'tcp', traceId: 'b'.repeat(32) });
  record.accept(cancel, 'order-2', 202, 20);
  record.cancelled(cancel, 'unsupported', 'cancel:unsupported-404');
  record.settle(cancel, 'COMPLETED', { terminalMs: 700 });
  const refused = record.begin({ scenario: 'decline', customerId: 'cust-park', channel: 'http', traceId: 'c'.repeat(32) });
  record.settle(refused, 'refused', { httpStatus: 503, error: 'submit:http-503' });
  return record;
}

function loadOptions(argv: string[] = []): LoadOptions {
  const parsed = parseCommandLine(argv, {});
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.options;
}

const context: ViewContext = {
  header: 'ordersaga load · open 5/s → http://localhost:8080',
  durationSeconds: 20,
  phase: { kind: 'submitting' },
  recentRate: 4.96,
  targetRate: 5,
  polls: { active: 1, queued: 0, limit: 8 },
  deadlineSeconds: 60,
};

test('the snapshot counts orders, outcomes by scenario, errors and cancels', (t) => {
  const snapshot = someRun().snapshot();
  t.like(snapshot, { submitted: 3, accepted: 2, inFlight: 0, timedOut: 0, abandoned: 0 });
  t.is(snapshot.terminal.COMPLETED, 2);
  t.deepEqual(snapshot.errors, { 'cancel:unsupported-404': 1, 'submit:http-503': 1 });
  t.deepEqual(snapshot.cancels, { unsupported: 1 });
  t.deepEqual(Object.keys(snapshot.scenarios), ['happy', 'decline', 'cancel']);
  t.deepEqual(snapshot.scenarios.decline, { submitted: 1, accepted: 0, expected: 'PAYMENT_DECLINED', outcomes: { refused: 1 } });
  t.is(snapshot.latencyMs.accept?.count, 2);
  t.is(snapshot.latencyMs.saga?.count, 1);
});

test('the summary names every terminal status, scenario and error kind', (t) => {
  const options = loadOptions(['--rate', '5', '--duration', '20', '--seed', '1']);
  const record = someRun();
  const report = buildReport({
    options,
    warnings: [],
    startedAt: new Date(),
    interrupted: undefined,
    snapshot: record.snapshot(),
    orders: record.orders,
  });
  const text = formatSummary(report, options);
  t.regex(text, /^ordersaga load run finished after [\d.]+ s: open model 5\/s \(uniform\) for 20 s, against http:\/\/localhost:8080/);
  for (const status of ['COMPLETED', 'REJECTED', 'PAYMENT_DECLINED', 'FAILED', 'CANCELLED']) t.regex(text, new RegExp(`\\b${status}\\b`));
  t.regex(text, /cancel\s+1\s+CANCELLED\s+0\/1\s+COMPLETED 1/);
  t.regex(text, /cancel:unsupported-404\s+1\s+cancel unsupported by the estate/);
  t.regex(text, /submit:http-503\s+1\s+submitting the order: HTTP 503/);
  t.regex(text, /accept\s+2\s+12\.3\s+20\.0\s+20\.0\s+20\.0/);
});

test('the JSON report keeps every order with its trace id, and never the API key', (t) => {
  const options = loadOptions(['--api-key', 'secret-key']);
  const record = someRun();
  const report = buildReport({
    options,
    warnings: ['a note'],
    startedAt: new Date(),
    interrupted: 'SIGINT',
    snapshot: record.snapshot(),
    orders: record.orders,
  });
  const json = JSON.stringify(report);
  t.false(json.includes('secret-key'));
  t.is(settingsOf(options).apiKey, '(set)');
  t.is(report.orders.length, 3);
  t.deepEqual(
    report.orders.map((order) => order.traceId),
    ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)],
  );
  t.like(report.orders[0], { orderId: 'order-1', acceptMs: 12.35, outcome: 'COMPLETED', terminalMs: 640.5, sagaMs: 300 });
  t.is(report.interrupted, 'SIGINT');
});

test('error kinds are explained in words', (t) => {
  t.is(explainError('submit:network-ECONNREFUSED'), 'submitting the order: network error ECONNREFUSED');
  t.is(explainError('poll:timeout'), 'reading the order status: no answer within --request-timeout');
  t.is(explainError('terminal:timeout'), 'no terminal status before the per-order deadline');
  t.is(explainError('cancel:unsupported-405'), 'cancel unsupported by the estate (404/405)');
  t.is(explainError('cancel:http-409'), 'cancelling the order: HTTP 409');
});

test('the live panel and the compact line show rate, in flight, outcomes and percentiles', (t) => {
  const snapshot = someRun().snapshot();
  const panel = renderPanel(snapshot, context);
  t.regex(panel, /submitted 3 · accepted 2 · rate 5\.0\/s \(target 5\.0\/s\) · in flight 0 · polls 1\/8/);
  t.regex(panel, /terminal 2: COMPLETED 2 · REJECTED 0 · PAYMENT_DECLINED 0 · FAILED 0 · CANCELLED 0/);
  t.regex(panel, /p50\s+p90\s+p99\s+max/);
  t.regex(panel, /Ctrl-C stops submitting/);
  t.regex(renderPanel(snapshot, { ...context, phase: { kind: 'draining' } }), /every order has settled/);
  const line = renderLine(snapshot, context);
  t.notRegex(line, /\n/);
  t.regex(
    line,
    /^\[load\] \d+s\/20s submitted=3 accepted=2 rate=5\.0\/s inflight=0 COMPLETED=2 .* errors=2 accept_p50\/p99=12\.3\/20\.0ms/,
  );
});

test('the recent rate is measured over a sliding window', (t) => {
  const rate = new RecentRate(5_000);
  t.is(rate.update(0, 0), 0);
  t.is(rate.update(1_000, 5), 5);
  t.is(rate.update(5_000, 25), 5);
  // After a pause the window forgets the busy start.
  t.is(rate.update(10_000, 25), 0);
});
