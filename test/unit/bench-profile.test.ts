/** CPU profiles of running processes for the saga benchmark (bench/saga-profile.ts). */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import test from 'ava';
import { placeOf, profileNodeProcess, summariseV8Profile } from '../../bench/saga-profile.js';

const ROOT = '/srv/ordersaga';

test('a frame is placed by its package, our folder or the runtime part it belongs to', (t) => {
  t.is(placeOf('query', `file://${ROOT}/node_modules/pg/lib/client.js`, ROOT), 'pg');
  t.is(placeOf('start', `file://${ROOT}/node_modules/@temporalio/worker/lib/worker.js`, ROOT), '@temporalio/worker');
  // a package nested under another's node_modules is the inner one
  t.is(placeOf('x', `file://${ROOT}/node_modules/a/node_modules/@scope/b/index.js`, ROOT), '@scope/b');
  t.is(placeOf('emit', `file://${ROOT}/platform/kafka.ts`, ROOT), 'ours: platform/');
  t.is(placeOf('emit', 'node:events', ROOT), 'node internals');
  t.is(placeOf('(garbage collector)', '', ROOT), 'garbage collector');
  t.is(placeOf('(program)', '', ROOT), 'V8 and native code');
  t.is(placeOf('(idle)', '', ROOT), 'idle');
});

test('self time is counted per sample, idle left out of the shares', (t) => {
  const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 0 } });
  const profile = {
    nodes: [
      frame(1, '(idle)', ''),
      frame(2, 'query', `file://${ROOT}/node_modules/pg/lib/client.js`),
      frame(3, 'emit', `file://${ROOT}/platform/kafka.ts`),
    ],
    samples: [1, 1, 1, 1, 2, 2, 2, 3],
  };
  const summary = summariseV8Profile('order', 1, profile, ROOT);
  t.is(summary.busySamples, 4);
  t.deepEqual(summary.byPlace, [
    { where: 'pg', percent: 75 },
    { where: 'ours: platform/', percent: 25 },
  ]);
  t.deepEqual(summary.topFunctions[0], { where: 'query (pg)', percent: 75 });
});

test('a running Node process is profiled from outside and its inspector closed again', async (t) => {
  // A process that burns CPU in a function with a name we can look for, until it is killed.
  const busy = spawn(
    process.execPath,
    // Never optimized, so V8 cannot inline it into the timer loop and report its time there.
    [
      '--allow-natives-syntax',
      '-e',
      'function spinForTheProfiler(){const end=Date.now()+5;while(Date.now()<end);} %NeverOptimizeFunction(spinForTheProfiler); setInterval(spinForTheProfiler, 6); setTimeout(() => console.log("spinning"), 50)',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  t.teardown(() => busy.kill('SIGKILL'));
  await once(busy.stdout, 'data');

  const outcome = await profileNodeProcess('busy', busy.pid!, 2, ROOT);
  if ('skipped' in outcome) return t.fail(outcome.skipped);
  t.true(outcome.profile.busySamples > 100, `only ${outcome.profile.busySamples} busy samples in 2 s of a mostly busy process`);
  t.true(
    outcome.profile.topFunctions.some((share) => share.where.startsWith('spinForTheProfiler')),
    `spinForTheProfiler not among ${outcome.profile.topFunctions.map((share) => share.where).join(', ')}`,
  );
  // Closed again: the inspector port no longer answers (it closes as soon as the session ends).
  const deadline = Date.now() + 5_000;
  let open = true;
  while (open && Date.now() < deadline) {
    open = await fetch('http://127.0.0.1:9229/json/list', { signal: AbortSignal.timeout(300) }).then(
      () => true,
      () => false,
    );
    if (open) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.false(open, 'the inspector port still answers after the profile');
});
