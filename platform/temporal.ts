/**
 * Temporal connections, configured in one place so every client and worker reaches the same
 * cluster with the same tracing.
 */
import { existsSync } from 'node:fs';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import { OpenTelemetryPlugin, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { config } from './config.js';
import { temporalConnectionSettings, temporalUnreachable } from './connections.js';
import { logger } from './logger.js';
import { workflowSpanExport } from './telemetry/sdk.js';
import { shareResourceWithTemporalCore, temporalTelemetryOptions } from './telemetry/temporal-metrics.js';
import { temporalTracer } from './telemetry/temporal-tracer.js';

export async function connectClient(): Promise<Client> {
  const env = config();
  const connection = await Connection.connect(temporalConnectionSettings(env)).catch((error: unknown) => {
    throw temporalUnreachable(env, error);
  });
  return clientOn(connection);
}

/**
 * A client over a worker's own connection (connectWorker), for a service that starts the workflows
 * its worker runs: its calls go through the SDK's Rust core instead of the JavaScript gRPC client,
 * and a start may ask for eager execution (the first workflow task handed back with the start, to
 * this process's worker, instead of through a task-queue poll). Pass the same connection to
 * startWorker.
 */
export function clientOn(connection: ConnectionLike): Client {
  return new Client({
    connection,
    namespace: config().TEMPORAL_NAMESPACE,
    // The start span is a CLIENT child of the caller's active span (the order API's request).
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: temporalTracer() })] },
  });
}

let runtimeInstalled = false;

/**
 * Routes the Temporal SDK's own logs (worker state, activity failures) into our JSON logs, with
 * their trace ids, instead of its plain-text console lines, and exports its metrics over OTLP under
 * this service's resource (platform/telemetry/temporal-metrics.ts). Must run before the first worker:
 * the Runtime is process-wide, so every worker service gets both from here.
 */
export function installTemporalRuntime(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'INFO'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const log = logger('temporal');
  const methods = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  shareResourceWithTemporalCore();
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => log[methods[entry.level]]({ ...entry.meta }, entry.message)),
    telemetryOptions: temporalTelemetryOptions(),
  });
}

export async function connectWorker(): Promise<NativeConnection> {
  installTemporalRuntime();
  const env = config();
  return NativeConnection.connect(temporalConnectionSettings(env)).catch((error: unknown) => {
    throw temporalUnreachable(env, error);
  });
}

/**
 * The tracing plugin every worker gets: activity and workflow interceptors, and a sink that exports
 * workflow spans through this process's span processor. The prebuilt workflow bundle is built with
 * the same plugin (workers/order/bundle.ts), or workflow tracing would silently stop.
 */
export function tracingPlugin(): OpenTelemetryPlugin {
  const exportTo = workflowSpanExport() ?? { spanProcessor: new NoopSpanProcessor(), resource: Resource.empty() };
  return new OpenTelemetryPlugin({ ...exportTo, tracer: temporalTracer() });
}

/**
 * Where a worker's workflow code is: the prebuilt bundle, used if `npm run bundle` made one, and the
 * source entry it bundles at start otherwise. The worker that runs workflows says which (workers/order).
 */
export interface WorkflowCode {
  bundlePath: string;
  workflowsPath: string;
}

export async function startWorker(
  options: Omit<WorkerOptions, 'connection' | 'namespace' | 'plugins' | 'workflowBundle' | 'workflowsPath'> & {
    workflows?: WorkflowCode;
    /** A connection the service also has a client on (clientOn); its owner closes it. A worker's own otherwise. */
    connection?: NativeConnection;
  },
): Promise<{ worker: Worker; running: Promise<void> }> {
  const { workflows: code, connection: shared, ...rest } = options;
  const connection = shared ?? (await connectWorker());
  const workflows = code
    ? existsSync(code.bundlePath)
      ? { workflowBundle: { codePath: code.bundlePath } }
      : { workflowsPath: code.workflowsPath }
    : {};
  const worker = await Worker.create({
    ...rest,
    ...workflows,
    connection,
    namespace: config().TEMPORAL_NAMESPACE,
    plugins: [tracingPlugin()],
  });
  const running = shared ? worker.run() : worker.run().finally(() => connection.close());
  return { worker, running };
}
