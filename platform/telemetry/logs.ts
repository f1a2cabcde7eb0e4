/**
 * Logs over OTLP, when a deployment asks for them (`OTEL_LOGS_EXPORTER=otlp`). The JSON lines on
 * stdout stay the primary record; this is a second stream pino writes each line to, which turns it
 * into an OpenTelemetry log record: severity from pino's level, body from `msg`, the other fields as
 * attributes (an `err` as the `exception.*` attributes), and the trace and span ids of the span that
 * was active when the line was logged (pino writes synchronously, inside the caller's context).
 */
import { context, type Attributes, type AttributeValue, type Context, trace, TraceFlags } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { exporterKind } from './exporters.js';
import { telemetryEnabled } from './resource.js';

export function logsExportEnabled(): boolean {
  return telemetryEnabled() && exporterKind('logs') !== 'none';
}

const severities: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

/** Fields of our JSON lines that become part of the record itself, not attributes. */
const RECORD_FIELDS = new Set(['level', 'time', 'msg', 'trace_id', 'span_id', 'trace_flags', 'pid', 'hostname', 'service']);

function attributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === null || value === undefined) return undefined;
  return JSON.stringify(value);
}

/** The log record a JSON line stands for. Exported for tests. */
export function logRecordOf(line: Record<string, unknown>): {
  severityNumber: SeverityNumber;
  severityText: string;
  body: string;
  timestamp: number;
  attributes: Attributes;
} {
  const level = typeof line.level === 'string' ? line.level : 'info';
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(line)) {
    if (RECORD_FIELDS.has(key)) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const error = value as { type?: unknown; message?: unknown; stack?: unknown };
      if (typeof error.type === 'string') attributes['exception.type'] = error.type;
      if (typeof error.message === 'string') attributes['exception.message'] = error.message;
      if (typeof error.stack === 'string') attributes['exception.stacktrace'] = error.stack;
      continue;
    }
    const converted = attributeValue(value);
    if (converted !== undefined) attributes[key] = converted;
  }
  const time = typeof line.time === 'string' ? Date.parse(line.time) : Number.NaN;
  return {
    severityNumber: severities[level] ?? SeverityNumber.UNSPECIFIED,
    severityText: level.toUpperCase(),
    body: typeof line.msg === 'string' ? line.msg : '',
    timestamp: Number.isNaN(time) ? Date.now() : time,
    attributes,
  };
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/**
 * The context a line belongs to: the ids it prints (the active span's, or ones a library passed in,
 * as Temporal's activity logs do), so the record and the JSON line always name the same span.
 */
export function logContextOf(line: Record<string, unknown>, active: Context = context.active()): Context {
  const { trace_id: traceId, span_id: spanId } = line;
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !TRACE_ID.test(traceId) || !SPAN_ID.test(spanId)) return active;
  const current = trace.getSpanContext(active);
  if (current?.traceId === traceId && current.spanId === spanId) return active;
  return trace.setSpanContext(active, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
}

/** A pino destination that emits each line as an OTel log record, in the context of the span it names. */
export function otlpLogStream(): { write(line: string): void } {
  return {
    write(line: string) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      // Looked up per line: the SDK may install its provider after this stream was made.
      logs.getLogger('ordersaga').emit({ ...logRecordOf(parsed), context: logContextOf(parsed) });
    },
  };
}
