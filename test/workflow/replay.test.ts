/**
 * Every recorded history under test/histories/ (one per saga path, recorded from a running estate
 * with `make record-histories`) must replay against the current workflow code. A change that
 * would break sagas already in flight fails here; guard it with `patched` (see docs/saga.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import test from 'ava';
import { installTemporalRuntime, tracingPlugin } from '../../platform/temporal.js';
import { workflowBundle } from '../support/temporal.js';

const directory = fileURLToPath(new URL('../histories/', import.meta.url));
const files = readdirSync(directory)
  .filter((file) => file.endsWith('.json'))
  .sort();

test('there is a recorded history for every saga path', (t) => {
  for (const path of [
    'completed-http',
    'completed-tcp',
    'declined-http',
    'insufficient-funds-tcp',
    'out-of-stock',
    'undeliverable',
    'gateway-errors-exhausted',
    'cancelled',
  ]) {
    t.true(files.includes(`${path}.json`), `missing test/histories/${path}.json`);
  }
});

test('every recorded history replays against the current workflow code', async (t) => {
  installTemporalRuntime('ERROR');
  const histories = files.map((file) => {
    const history: unknown = JSON.parse(readFileSync(`${directory}${file}`, 'utf8'));
    return { workflowId: file.replace(/\.json$/, ''), history };
  });
  const failures: string[] = [];
  let replayed = 0;
  // The histories were recorded by workers with the tracing plugin; replay with the same plugin.
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), plugins: [tracingPlugin()] }, histories)) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  t.is(replayed, files.length);
  t.deepEqual(failures, []);
});
