/**
 * The Temporal SDK's own metrics (task schedule-to-start latency, slots available, sticky cache
 * hits, poller counts, …: `temporal_*`), exported by the SDK's Rust core over OTLP to the same
 * endpoint as the process's other telemetry, so an SRE sees a starved worker. The Runtime is
 * process-wide and installed once, before the first worker (platform/temporal.ts).
 *
 * The core has its own OpenTelemetry SDK: it reads the standard variables itself
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` overrides the URL given here; `OTEL_SERVICE_NAME` and
 * `OTEL_RESOURCE_ATTRIBUTES` make its resource). Our resource's other attributes (namespace,
 * version, instance, environment, host) are put into `OTEL_RESOURCE_ATTRIBUTES` for it, so its
 * metrics land on the same service instance as ours. docs/observability.md lists the metrics.
 */
import type { TelemetryOptions } from '@temporalio/worker';
import { exporterKind, otlpProtocol } from './exporters.js';
import { metricExportIntervalMs, serviceResource, telemetryEnabled } from './resource.js';

type Environment = Partial<Record<string, string>>;

/** Where OTLP metrics go, as the standard variables say (default: the Instana agent's OTLP/HTTP port). */
function metricsUrl(env: Environment, http: boolean): string {
  const own = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim();
  if (own) return own;
  const base = (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || (http ? 'http://localhost:4318' : 'http://localhost:4317')).replace(/\/+$/, '');
  return http ? `${base}/v1/metrics` : base;
}

/**
 * The Runtime's telemetry options: OTLP metrics for a service process whose metrics go over OTLP;
 * none for anything else (a test process, `OTEL_SDK_DISABLED`, `OTEL_METRICS_EXPORTER=none|console`).
 * A service process is one that names itself (`OTEL_SERVICE_NAME`, set by every deployment).
 */
export function temporalTelemetryOptions(env: Environment = process.env): TelemetryOptions {
  if (!env.OTEL_SERVICE_NAME || !telemetryEnabled() || exporterKind('metrics', env) !== 'otlp') return {};
  const http = otlpProtocol('metrics', env) !== 'grpc';
  return {
    metrics: {
      otel: {
        url: metricsUrl(env, http),
        http,
        metricsExportInterval: metricExportIntervalMs(),
        temporality: 'cumulative',
        // Seconds, as OpenTelemetry's conventions have durations (and our own histograms).
        useSecondsForDurations: true,
      },
    },
  };
}

/**
 * Our resource's attributes in `OTEL_RESOURCE_ATTRIBUTES`, for the core's SDK to read: the
 * variable's own entries (the Kubernetes pod's ids) win. Call before installing the Runtime.
 */
export function shareResourceWithTemporalCore(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.OTEL_SERVICE_NAME) return;
  const ours = serviceResource().attributes;
  const wanted = ['service.namespace', 'service.version', 'service.instance.id', 'deployment.environment.name', 'host.name', 'host.id'];
  const given = (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',').filter((entry) => entry.includes('='));
  const givenKeys = new Set(given.map((entry) => entry.slice(0, entry.indexOf('=')).trim()));
  const added = wanted
    .filter((key) => !givenKeys.has(key) && ours[key] !== undefined)
    .map((key) => `${key}=${encodeURIComponent(String(ours[key]))}`);
  env.OTEL_RESOURCE_ATTRIBUTES = [...given, ...added].join(',');
}
