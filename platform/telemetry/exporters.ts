/**
 * The exporters of the three signals, chosen by the standard variables, so a deployment points the
 * estate anywhere without code changes:
 *
 * - `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`: `otlp` (default), `console` or `none`.
 *   `OTEL_LOGS_EXPORTER`: `otlp`, `console` or `none` (our default: `none`, see docs/observability.md).
 * - `OTEL_EXPORTER_OTLP_PROTOCOL` and its per-signal `OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_PROTOCOL`:
 *   `http/protobuf` (default), `http/json` or `grpc`.
 * - Endpoint, headers, compression, timeout and TLS files are read by the exporters themselves
 *   (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, … and the per-signal forms). The
 *   default endpoint, http://localhost:4318, is the Instana agent's OTLP/HTTP port.
 *
 * The variables are read through `getEnvWithoutDefaults()` of @opentelemetry/core, the same
 * parser the SDK uses, so they are the library's standard variables and not ours to document twice.
 */
import { getEnvWithoutDefaults } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleLogRecordExporter, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { ConsoleMetricExporter, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export type Signal = 'traces' | 'metrics' | 'logs';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type ExporterKind = 'otlp' | 'console' | 'none';

type Environment = Partial<Record<string, unknown>>;

const protocols: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const exporterVariable = { traces: 'OTEL_TRACES_EXPORTER', metrics: 'OTEL_METRICS_EXPORTER', logs: 'OTEL_LOGS_EXPORTER' } as const;
const protocolVariable = {
  traces: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  metrics: 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
  logs: 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL',
} as const;
/** Logs also go to stdout as JSON; exporting them too is a choice a deployment makes. */
const defaultExporter: Record<Signal, ExporterKind> = { traces: 'otlp', metrics: 'otlp', logs: 'none' };

function read(env: Environment, name: string): string {
  const value = env[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** The protocol for one signal: its own variable, else the general one, else http/protobuf. */
export function otlpProtocol(signal: Signal, env: Environment = getEnvWithoutDefaults()): OtlpProtocol {
  const value = read(env, protocolVariable[signal]) || read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') || 'http/protobuf';
  if ((protocols as readonly string[]).includes(value)) return value as OtlpProtocol;
  throw new Error(
    `${protocolVariable[signal]} / OTEL_EXPORTER_OTLP_PROTOCOL must be one of ${protocols.join(', ')}, got ${JSON.stringify(value)}`,
  );
}

/** Which exporter a signal gets (the first of a comma list; `none` anywhere turns the signal off). */
export function exporterKind(signal: Signal, env: Environment = getEnvWithoutDefaults()): ExporterKind {
  const listed = read(env, exporterVariable[signal])
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (listed.length === 0) return defaultExporter[signal];
  if (listed.includes('none')) return 'none';
  const [first] = listed;
  if (first === 'otlp' || first === 'console') return first;
  throw new Error(`${exporterVariable[signal]} must be otlp, console or none, got ${JSON.stringify(first)}`);
}

/** Each signal's exporter classes: the console one and one per OTLP protocol. */
interface ExporterClasses<T> {
  console: new () => T;
  otlp: Record<OtlpProtocol, new () => T>;
}

/** The exporter the variables ask for, for one signal; undefined when it is `none`. */
function exporterFor<T>(signal: Signal, classes: ExporterClasses<T>, env?: Environment): T | undefined {
  const kind = exporterKind(signal, env);
  if (kind === 'none') return undefined;
  return kind === 'console' ? new classes.console() : new classes.otlp[otlpProtocol(signal, env)]();
}

export function spanExporter(env?: Environment): SpanExporter | undefined {
  return exporterFor<SpanExporter>(
    'traces',
    {
      console: ConsoleSpanExporter,
      otlp: { grpc: GrpcTraceExporter, 'http/json': JsonTraceExporter, 'http/protobuf': ProtoTraceExporter },
    },
    env,
  );
}

export function metricExporter(env?: Environment): PushMetricExporter | undefined {
  return exporterFor<PushMetricExporter>(
    'metrics',
    {
      console: ConsoleMetricExporter,
      otlp: { grpc: GrpcMetricExporter, 'http/json': JsonMetricExporter, 'http/protobuf': ProtoMetricExporter },
    },
    env,
  );
}

export function logExporter(env?: Environment): LogRecordExporter | undefined {
  return exporterFor<LogRecordExporter>(
    'logs',
    { console: ConsoleLogRecordExporter, otlp: { grpc: GrpcLogExporter, 'http/json': JsonLogExporter, 'http/protobuf': ProtoLogExporter } },
    env,
  );
}
