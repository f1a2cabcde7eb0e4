/**
 * A real Temporal dev server for workflow tests: @temporalio/testing starts the CLI binary that the
 * dev stack installed (it cannot download one here), with our search attributes registered.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  CompensationFailingAttribute,
  CustomerIdAttribute,
  OrderStatusAttribute,
  PaymentChannelAttribute,
} from '../../platform/contracts/search-attributes.js';
import { installTemporalRuntime } from '../../platform/temporal.js';
import { orderWorkflowCode } from '../../workers/order/workflow-code.js';

export function temporalCliPath(): string {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const script = fileURLToPath(new URL('../../infra/temporal/bin-path.sh', import.meta.url));
  return execFileSync(script, { encoding: 'utf8' }).trim();
}

export function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  // Expected activity failures (declines, undeliverable addresses) would flood the output as warnings.
  installTemporalRuntime('ERROR');
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: [OrderStatusAttribute, CustomerIdAttribute, PaymentChannelAttribute, CompensationFailingAttribute],
      extraArgs: ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF'],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow code, bundled once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: orderWorkflowCode.workflowsPath,
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (m: string) => console.error(m),
    },
  });
  return bundle;
}
