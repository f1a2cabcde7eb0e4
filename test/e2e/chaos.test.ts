/**
 * The chaos suite's short run, as part of the suite: about a minute of mixed load on the running
 * estate while two services and Kafka are killed with SIGKILL (their supervisors bring them back)
 * and reserve, authorize and schedule are slowed in turns; then every accepted order must be
 * terminal and the auditor must find nothing. And the run can fail: a violation planted behind the
 * saga's back (a completed order's reservation released in inventory's database) fails it.
 *
 * It kills pieces of the estate other tests use, so it must never run beside them: it runs only when
 * ORDERSAGA_CHAOS_TEST=1, which `make test` sets for a separate ava run of this file after the rest of
 * the suite (`ORDERSAGA_CHAOS_TEST=1 npx ava test/e2e/chaos.test.ts` by hand; docs/chaos.md).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { ChaosReport } from '../../infra/programs/chaos/report.js';
import { ROOT } from '../../infra/programs/chaos/estate.js';

/** Skipped (and shown as skipped) in the suite's main, parallel run. */
const chaosTest = process.env.ORDERSAGA_CHAOS_TEST === '1' ? test.serial : test.serial.skip;

async function chaos(t: ExecutionContext, args: string[]): Promise<{ status: number | null; report: ChaosReport; output: string }> {
  const json = join(await mkdtemp(join(tmpdir(), 'ordersaga-chaos-')), 'report.json');
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/infra/programs/chaos/main.ts`, ...args, '--json', json], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // An ava timeout must not leave a run going on: SIGTERM makes it put back what it changed and stop.
  const stop = () => child.exitCode === null && child.kill('SIGTERM');
  t.teardown(stop);
  process.once('exit', stop);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  process.off('exit', stop);
  const report = JSON.parse(await readFile(json, 'utf8').catch(() => 'null')) as ChaosReport;
  if (!report) throw new Error(`the chaos run wrote no report (exit ${status}):\n${output}`);
  return { status, report, output };
}

chaosTest(
  'a one-minute chaos run with two services and Kafka killed: every accepted order terminal, no violation, every fault recovered',
  async (t) => {
    t.timeout(15 * 60_000);
    const { status, report, output } = await chaos(t, [
      '--duration',
      '60',
      '--rate',
      '1',
      '--targets',
      'inventory,order,kafka',
      '--settle',
      '240',
    ]);
    t.log(output.slice(output.indexOf('ordersaga chaos run')));
    const kills = report.faults.filter((fault) => fault.kind === 'kill');
    t.deepEqual(
      kills
        .map((fault) => fault.target)
        .sort()
        .filter((target, i, all) => all.indexOf(target) === i),
      ['inventory', 'kafka', 'order'],
    );
    t.deepEqual(
      kills.filter((fault) => !fault.recovered).map((fault) => fault.target),
      [],
      'every piece came back and a new order completed',
    );
    t.true(
      report.faults.some((fault) => fault.kind === 'latency'),
      'a step was slowed',
    );
    t.true(report.orders.accepted > 0);
    t.deepEqual(report.orders.nonTerminal, []);
    t.deepEqual(report.audit?.errors, []);
    t.deepEqual(report.audit?.violations, []);
    t.true(report.verdict.ok, report.verdict.reasons.join('; '));
    t.is(status, 0);
  },
);

chaosTest("a violation planted behind the saga's back fails the run, and is named", async (t) => {
  t.timeout(10 * 60_000);
  const { status, report } = await chaos(t, [
    '--duration',
    '15',
    '--rate',
    '1',
    '--targets',
    'none',
    '--no-latency',
    '--mix',
    'happy=1',
    '--plant-violation',
    '--settle',
    '120',
  ]);
  t.truthy(report.planted, 'a completed order was there to plant on');
  t.is(status, 1);
  t.false(report.verdict.ok);
  const named = report.audit?.violations.filter(
    (violation) => violation.orderId === report.planted?.orderId || violation.message.includes(report.planted!.orderId),
  );
  t.true(
    (named?.length ?? 0) > 0,
    `the auditor named order ${report.planted?.orderId}: ${JSON.stringify(report.audit?.violations.slice(0, 5))}`,
  );
});
