/**
 * JSON logs with the active trace and span ids, so a log line leads to its trace in the APM. With
 * `OTEL_LOGS_EXPORTER=otlp` each line is also exported as an OpenTelemetry log record
 * (platform/telemetry/logs.ts); stdout stays the primary record either way.
 */
import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { logsExportEnabled, otlpLogStream } from './telemetry/logs.js';

const options: LoggerOptions = {
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: process.env.OTEL_SERVICE_NAME ?? 'ordersaga' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  mixin() {
    const context = trace.getActiveSpan()?.spanContext();
    return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
  },
};

const root = logsExportEnabled()
  ? pino(options, pino.multistream([{ stream: pino.destination(1), level: 'trace' }, { stream: otlpLogStream(), level: 'trace' }]))
  : pino(options);

/** A logger for one component of a service, e.g. `logger('kafka')`. */
export function logger(component: string): Logger {
  return root.child({ component });
}

export function setServiceName(service: string): void {
  // The base already names OTEL_SERVICE_NAME's service; binding it again would print the key twice.
  if (service !== (process.env.OTEL_SERVICE_NAME ?? 'ordersaga')) root.setBindings({ service });
}
