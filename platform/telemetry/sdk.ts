/**
 * OpenTelemetry for every ordersaga process. Standard `OTEL_*` variables configure it (endpoint,
 * protocol, headers, sampler); the default endpoint is the Instana agent's OTLP/HTTP port on
 * localhost, http://localhost:4318. `OTEL_SDK_DISABLED=true` turns it off.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { NetInstrumentation } from '@opentelemetry/instrumentation-net';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { shutdownServiceNodes } from './service-node.js';

export const serviceNamespace = 'ordersaga';
export const serviceVersion = process.env.SERVICE_VERSION ?? '0.1.0';

let sdk: NodeSDK | undefined;
let spanProcessor: SpanProcessor | undefined;
let resource: Resource | undefined;

export function telemetryEnabled(): boolean {
  return process.env.OTEL_SDK_DISABLED !== 'true';
}

export function serviceResource(serviceName: string): Resource {
  return new Resource({
    'service.name': serviceName,
    'service.namespace': serviceNamespace,
    'service.version': serviceVersion,
    'service.instance.id': `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    'deployment.environment.name': process.env.DEPLOYMENT_ENVIRONMENT ?? 'dev',
    'host.name': hostname(),
    'process.pid': process.pid,
  });
}

export function startTelemetry(): void {
  if (sdk || !telemetryEnabled()) return;
  const serviceName = process.env.OTEL_SERVICE_NAME ?? 'ordersaga';
  resource = serviceResource(serviceName);
  spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  sdk = new NodeSDK({
    resource,
    spanProcessors: [spanProcessor],
    metricReader: new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(),
      exportIntervalMillis: Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000),
    }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => request.url === '/health' }),
      new UndiciInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
      new NetInstrumentation(),
    ],
  });
  sdk.start();
}

/** The span processor and resource the Temporal worker plugin exports workflow spans through. */
export function workflowSpanExport(): { spanProcessor: SpanProcessor; resource: Resource } | undefined {
  return spanProcessor && resource ? { spanProcessor, resource } : undefined;
}

export function meter(name: string) {
  return metrics.getMeter(name, serviceVersion);
}

/** Flushes and stops the SDK; called on shutdown so the last spans are not lost. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
  await shutdownServiceNodes();
}
