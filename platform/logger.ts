/**
 * JSON logs with the active trace and span ids, so a log line leads to its trace in the APM.
 */
import { trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

const root = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: process.env.OTEL_SERVICE_NAME ?? 'ordersaga' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  mixin() {
    const context = trace.getActiveSpan()?.spanContext();
    return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
  },
});

/** A logger for one component of a service, e.g. `logger('kafka')`. */
export function logger(component: string): Logger {
  return root.child({ component });
}

export function setServiceName(service: string): void {
  root.setBindings({ service });
}
