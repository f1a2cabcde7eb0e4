/**
 * A real Temporal dev server for workflow tests: @temporalio/testing starts the CLI binary that the
 * dev stack installed (it cannot download one here), with our search attributes registered.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type InjectedSinks, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  CompensationFailingAttribute,
  CustomerIdAttribute,
  OrderStatusAttribute,
  PaymentChannelAttribute,
} from '../../platform/contracts/search-attributes.js';
import { type SagaSinks, taskQueues } from '../../platform/contracts/workflow.js';
import { installTemporalRuntime, type WorkflowCode } from '../../platform/temporal.js';
import { orderWorkflowCode } from '../../workers/order/workflow-code.js';
import { FakeEstate } from './fake-estate.js';

export function temporalCliPath(): string {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const script = fileURLToPath(new URL('../../infra/local/temporal/bin-path.sh', import.meta.url));
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

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/** A worker's workflow code (the order saga's by default), bundled once per test process. */
export function workflowBundle(code: Pick<WorkflowCode, 'workflowsPath'> = orderWorkflowCode): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(code.workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: code.workflowsPath,
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (m: string) => console.error(m),
      },
    });
    bundles.set(code.workflowsPath, bundle);
  }
  return bundle;
}

/** A Temporal dev server with the saga's three workers over a FakeEstate, as the workflow tests use it. */
export interface SagaOnFakeEstate {
  env: TestWorkflowEnvironment;
  estate: FakeEstate;
  /** Shuts the workers down, waits for them, and stops the server. */
  stop(): Promise<void>;
}

/** Starts the server and the orders, inventory and fulfillment workers; `sinks` go to the orders worker. */
export async function startSagaOnFakeEstate(options: { sinks?: InjectedSinks<SagaSinks> } = {}): Promise<SagaOnFakeEstate> {
  const env = await startTestTemporal();
  const estate = new FakeEstate();
  const common = { connection: env.nativeConnection, namespace: env.namespace };
  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: taskQueues.orders,
      workflowBundle: await workflowBundle(),
      ...(options.sinks ? { sinks: options.sinks } : {}),
      activities: { ...estate.orderActivities(), ...estate.paymentActivities() },
    }),
    Worker.create({ ...common, taskQueue: taskQueues.inventory, activities: estate.inventoryActivities() }),
    Worker.create({ ...common, taskQueue: taskQueues.fulfillment, activities: estate.fulfillmentActivities() }),
  ]);
  const running = Promise.all(workers.map((worker) => worker.run()));
  return {
    env,
    estate,
    async stop() {
      for (const worker of workers) worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}
