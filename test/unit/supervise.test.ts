/**
 * infra/local/supervise.sh, the supervisor `make up` puts on every piece, on a dummy piece in a
 * scratch copy of the dev scripts (its own .state/, nothing of the estate touched): a piece killed
 * with SIGKILL is restarted and the restart logged with its exit status; `stop_by_pidfile` stops the
 * supervisor first, so nothing comes back; a second supervisor for the same piece leaves at once;
 * and a supervisor killed itself leaves the piece running for the next one to adopt.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { eventually } from '../support/estate.js';

const scripts = new URL('../../infra/local/', import.meta.url).pathname;

function scratch() {
  const root = mkdtempSync(join(tmpdir(), 'ordersaga-supervise-'));
  mkdirSync(join(root, 'infra/local'), { recursive: true });
  for (const file of ['lib.sh', 'supervise.sh']) cpSync(join(scripts, file), join(root, 'infra/local', file));
  // The dummy's command line names the scratch root, as a real piece's names the checkout (pid_is_ours).
  const sh = (script: string) =>
    execFileSync('bash', ['-c', `set -euo pipefail; source infra/local/lib.sh; ${script}`], {
      cwd: root,
      env: { ...process.env, DEV_SUPERVISE: '1', DEV_RESTART_BACKOFF_S: '0.2', DEV_RESTART_HEALTHY_S: '5' },
      encoding: 'utf8',
    }).trim();
  const piece = `bash -c 'while :; do sleep 1; done' "$ROOT"`;
  const pid = (name = 'dummy') => sh(`read_pid ${name}`);
  const running = () => sh('is_running dummy && echo yes || echo no') === 'yes';
  const supervisorLog = () => readFileSync(join(root, '.state/logs/supervisor.log'), 'utf8');
  const cleanup = () => {
    sh('stop_by_pidfile dummy >/dev/null 2>&1 || true');
    rmSync(root, { recursive: true, force: true });
  };
  return { sh, piece, pid, running, supervisorLog, cleanup };
}

test.serial('a piece killed with SIGKILL is restarted, with the exit status in the log; a stop is final', async (t) => {
  const { sh, piece, pid, running, supervisorLog, cleanup } = scratch();
  t.teardown(cleanup);
  sh(`spawn dummy ${piece}`);
  const first = pid();
  t.true(running());
  sh(`kill -9 -- -${first}`);
  const second = await eventually('a restart', async () => (running() && pid() !== first ? pid() : undefined), 10_000);
  t.not(second, first);
  t.regex(supervisorLog(), /dummy killed by SIGKILL \(status 137\) after \d+s up; restart #1/);
  // the piece writes its pidfile itself; the supervisor's line about it follows
  await eventually(
    'the restart logged',
    async () => (supervisorLog().includes(`restarted dummy (pid ${second})`) ? true : undefined),
    5_000,
  );

  sh('stop_by_pidfile dummy >/dev/null');
  t.false(running());
  t.is(sh('supervisor_running dummy && echo yes || echo no'), 'no');
  // Long enough for a restart that should not come (the pause is 0.2 s).
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.false(running(), 'nothing was resurrected');
  t.regex(supervisorLog(), /standing down/);
});

test.serial('one supervisor per piece: a second one leaves at once; a supervisor killed leaves its piece to the next', async (t) => {
  const { sh, piece, pid, running, cleanup } = scratch();
  t.teardown(cleanup);
  sh(`spawn dummy ${piece}`);
  const supervisor = pid('dummy.supervisor');
  sh(`setsid infra/local/supervise.sh dummy exec ${piece} </dev/null >/dev/null 2>&1; true`);
  t.is(pid('dummy.supervisor'), supervisor, 'the first supervisor still owns the piece');
  t.regex(readFileSync(join(sh('echo $ROOT'), '.state/logs/dummy.log'), 'utf8'), /another supervisor already watches dummy; leaving/);

  const piecePid = pid();
  sh(`kill -9 ${supervisor}`);
  await eventually(
    'the supervisor gone',
    async () => (sh('supervisor_running dummy && echo yes || echo no') === 'no' ? true : undefined),
    5_000,
  );
  t.true(running(), 'the piece outlives its supervisor');
  sh(`supervise_running dummy exec ${piece}`);
  t.not(pid('dummy.supervisor'), supervisor);
  sh(`kill -9 -- -${piecePid}`);
  await eventually('a restart by the new supervisor', async () => (running() && pid() !== piecePid ? true : undefined), 10_000);
  t.pass();
});
