/**
 * OpenTelemetry for every ordersaga process: one module, started by the `--import` preload
 * (preload.mjs → register.ts) before any instrumented library loads.
 *
 * - Resource: platform/telemetry/resource.ts (service, version, namespace, environment, instance,
 *   host and process attributes; `OTEL_RESOURCE_ATTRIBUTES` wins).
 * - Export: platform/telemetry/exporters.ts reads the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 *   `…_PROTOCOL`, `…_HEADERS`, `OTEL_{TRACES,METRICS,LOGS}_EXPORTER`); the default endpoint is the
 *   Instana agent's OTLP/HTTP port, http://localhost:4318. The sampler is the SDK's
 *   (`OTEL_TRACES_SAMPLER`, default parent-based always-on).
 * - Spans pass three processors: exit spans get their peer's name (peer-service.ts), SERVER spans of
 *   RPC lines become RED metrics (rpc-server-metrics.ts), and a batch processor exports them
 *   (`OTEL_BSP_*`). Metrics are exported every `OTEL_METRIC_EXPORT_INTERVAL` ms (default 10 s), logs
 *   (when `OTEL_LOGS_EXPORTER=otlp`) through a batch processor (`OTEL_BLRP_*`).
 * - Instrumentations: http (servers and the Temporal-free HTTP clients), undici (fetch), pg, kafkajs
 *   (with the current messaging conventions, messaging.ts), net.
 * - `stopTelemetry()` flushes everything on shutdown, bounded so an unreachable collector cannot hold
 *   a stopping process.
 *
 * `OTEL_SDK_DISABLED=true` turns all of it off (every API call becomes a no-op).
 */
import { createNoopMeter, type MeterProvider } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { NetInstrumentation } from '@opentelemetry/instrumentation-net';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { config } from '../config.js';
import { logExporter, metricExporter, spanExporter } from './exporters.js';
import { kafkaConsumerHook, kafkaProducerHook } from './messaging.js';
import { PeerServiceSpanProcessor, peerDirectory, type PeerDirectory } from './peer-service.js';
import { metricExportIntervalMs, serviceResource, telemetryEnabled } from './resource.js';
import { RpcServerMetricsSpanProcessor } from './rpc-server-metrics.js';
import { QuietSpansSampler } from './sampler.js';
import { shutdownServiceNodes } from './service-node.js';

export { serviceNamespace, serviceVersion, telemetryEnabled } from './resource.js';

/** A stopping process waits at most this long for its last telemetry to leave. */
const SHUTDOWN_FLUSH_DEADLINE_MS = 8_000;

/**
 * instrumentation-pg's own metrics are not kept: a duration per query (about seventy per order; the
 * spans have each one's duration, and APMs derive the database's latency from them) and connection
 * counters it updates on every pool event. Given a no-op meter they cost nothing per query;
 * db-pool-metrics.ts reads the same connection counts from each pool once per export instead.
 */
const noMeters: MeterProvider = { getMeter: () => createNoopMeter() };

let running: { sdk: NodeSDK; resource: Resource; exportProcessor: SpanProcessor | undefined } | undefined;

/** Our services by the addresses the others reach them at, for naming exit spans' peers. */
function ownServices(): PeerDirectory {
  try {
    const env = config();
    return peerDirectory([
      ['order', env.ORDER_URL],
      ['inventory', env.INVENTORY_URL],
      ['fulfillment', env.FULFILLMENT_URL],
      ['analytics', env.ANALYTICS_URL],
      ['notification', env.NOTIFICATION_URL],
      ['payment-sim', env.PAYMENT_HTTP_URL],
      // the TCP 전문 client names its peer itself; listed so any other connection to it is named too
      ['payment-sim', env.PAYMENT_TCP_ADDRESS],
    ]);
  } catch {
    // A configuration error is reported by the service itself, with the variable's name.
    return new Map();
  }
}

export function startTelemetry(): void {
  if (running || !telemetryEnabled()) return;
  const resource = serviceResource();
  const exporter = spanExporter();
  const exportProcessor = exporter ? new BatchSpanProcessor(exporter) : undefined;
  const metrics = metricExporter();
  const logs = logExporter();
  const pgInstrumentation = new PgInstrumentation({ requireParentSpan: true });
  const sdk = new NodeSDK({
    resource,
    // resource.ts already ran the detectors (synchronously, so the workflow exporter gets them too)
    autoDetectResources: false,
    sampler: new QuietSpansSampler(),
    spanProcessors: [
      new PeerServiceSpanProcessor(ownServices()),
      new RpcServerMetricsSpanProcessor(),
      ...(exportProcessor ? [exportProcessor] : []),
    ],
    ...(metrics
      ? { metricReader: new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: metricExportIntervalMs() }) }
      : {}),
    // Given explicitly (possibly empty): the SDK would otherwise add an OTLP log exporter of its own.
    logRecordProcessors: logs ? [new BatchLogRecordProcessor(logs)] : [],
    instrumentations: [
      // probes (/health, /health/live, /health/ready; platform/health.ts) are not traffic worth a span
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => request.url === '/health' || request.url?.startsWith('/health/') === true,
      }),
      new UndiciInstrumentation(),
      pgInstrumentation,
      new KafkaJsInstrumentation({ producerHook: kafkaProducerHook, consumerHook: kafkaConsumerHook }),
      new NetInstrumentation(),
    ],
  });
  sdk.start();
  // after start: the SDK hands every instrumentation the global meter provider while it starts
  pgInstrumentation.setMeterProvider(noMeters);
  running = { sdk, resource, exportProcessor };
}

/**
 * The span processor and resource the Temporal worker plugin exports workflow spans through (the
 * workflow sandbox hands its finished spans to this process over a sink). Undefined when tracing is
 * off.
 */
export function workflowSpanExport(): { spanProcessor: SpanProcessor; resource: Resource } | undefined {
  return running?.exportProcessor ? { spanProcessor: running.exportProcessor, resource: running.resource } : undefined;
}

/** Flushes and stops the SDK and the virtual nodes; called on shutdown so the last spans are not lost. */
export async function stopTelemetry(): Promise<void> {
  const current = running;
  running = undefined;
  const flushed = Promise.all([current?.sdk.shutdown().catch(() => undefined), shutdownServiceNodes()]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SHUTDOWN_FLUSH_DEADLINE_MS);
    timer.unref();
  });
  await Promise.race([flushed, deadline]);
  clearTimeout(timer);
}
