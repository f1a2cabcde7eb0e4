/**
 * Where the order worker's workflow code is: `workflows/index.ts`, and the bundle `npm run bundle`
 * (workers/order/bundle.ts) prebuilds from it with the tracing plugin inside.
 */
import { fileURLToPath } from 'node:url';
import type { WorkflowCode } from '../../platform/temporal.js';

export const orderWorkflowCode: WorkflowCode = {
  bundlePath: fileURLToPath(new URL('../../dist/workflow-bundle.js', import.meta.url)),
  workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
};
