/**
 * `npm run bundle`: prebuilds the workflow bundles once (the order worker's sagas, the fulfillment
 * worker's shipments), with the tracing plugin's workflow interceptors inside, so workers start in
 * about a second instead of bundling at every start.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tracingPlugin } from '../../platform/temporal.js';
import { shipmentWorkflowCode } from '../fulfillment/workflow-code.js';
import { orderWorkflowCode } from './workflow-code.js';

for (const { bundlePath, workflowsPath } of [orderWorkflowCode, shipmentWorkflowCode]) {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({ workflowsPath, plugins: [tracingPlugin()] });
  mkdirSync(dirname(bundlePath), { recursive: true });
  writeFileSync(bundlePath, code);
  console.log(`[bundle] ${bundlePath} (${(code.length / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`);
}
