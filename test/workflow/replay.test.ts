/**
 * Every recorded history under test/histories/ must replay against the current workflow code: the
 * order saga's (one per saga path) and, under test/histories/shipment/, ShipmentWorkflow's (one per
 * shipment path), both recorded from a running estate with `make record-histories`. A change that
 * would break a workflow already in flight fails here; the versioning rule in docs/saga.md says
 * how to make it (`patched`, or a new workflow type).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import test from 'ava';
import { installTemporalRuntime, tracingPlugin, type WorkflowCode } from '../../platform/temporal.js';
import { shipmentWorkflowCode } from '../../workers/fulfillment/workflow-code.js';
import { orderWorkflowCode } from '../../workers/order/workflow-code.js';
import { workflowBundle } from '../support/temporal.js';

/** Each folder of histories, the workflow code that must replay them, and the paths it must hold. */
const recordings: { folder: string; code: WorkflowCode; paths: string[] }[] = [
  {
    folder: '../histories/',
    code: orderWorkflowCode,
    paths: [
      'completed-http',
      'completed-tcp',
      'declined-http',
      'insufficient-funds-tcp',
      'out-of-stock',
      'undeliverable',
      'gateway-errors-exhausted',
      'cancelled',
    ],
  },
  {
    folder: '../histories/shipment/',
    code: shipmentWorkflowCode,
    paths: ['shipment-delivered', 'shipment-lost-refunded', 'shipment-abandoned'],
  },
];

function historiesIn(folder: string): string[] {
  return readdirSync(fileURLToPath(new URL(folder, import.meta.url)))
    .filter((file) => file.endsWith('.json'))
    .sort();
}

for (const { folder, code, paths } of recordings) {
  const where = `test/histories/${folder.replace('../histories/', '')}`;
  const files = historiesIn(folder);

  test(`${where}: there is a recorded history for every path`, (t) => {
    for (const path of paths) t.true(files.includes(`${path}.json`), `missing ${where}${path}.json`);
  });

  test(`${where}: every recorded history replays against the current workflow code`, async (t) => {
    installTemporalRuntime('ERROR');
    const histories = files.map((file) => {
      const history: unknown = JSON.parse(readFileSync(fileURLToPath(new URL(`${folder}${file}`, import.meta.url)), 'utf8'));
      return { workflowId: file.replace(/\.json$/, ''), history };
    });
    const failures: string[] = [];
    let replayed = 0;
    // The histories were recorded by workers with the tracing plugin; replay with the same plugin.
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle(code), plugins: [tracingPlugin()] },
      histories,
    )) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    t.is(replayed, files.length);
    t.deepEqual(failures, []);
  });
}
