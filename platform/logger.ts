/**
 * JSON logs with the active trace and span ids, so a log line leads to its trace in the APM. With
 * `OTEL_LOGS_EXPORTER=otlp` each line is also exported as an OpenTelemetry log record
 * (platform/telemetry/logs.ts); stdout stays the primary record either way.
 *
 * A card number never reaches a log line (docs/decisions.md, "Card data"): the fields that could
 * hold one are masked to the last four digits wherever a logged object carries them, at the top or
 * one or two levels down (a request body, an order, a workflow input). Nothing should log them in
 * the first place; this is the net under that rule. test/e2e/card-data.test.ts searches the logs.
 */
import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { logsExportEnabled, otlpLogStream } from './telemetry/logs.js';

/** Field names that may hold a card number, and where a logged object may carry them. */
const cardFields = ['cardNumber', 'pan', 'card_number'];
export const redactedPaths = cardFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`]);

/** Only the last four digits of whatever was there (a number or a string); anything else, wholly. */
function maskCard(value: unknown): string {
  const digits = typeof value === 'string' || typeof value === 'number' ? String(value).replace(/\D/g, '') : '';
  return digits.length >= 4 ? `[card …${digits.slice(-4)}]` : '[card]';
}

const options: LoggerOptions = {
  redact: { paths: redactedPaths, censor: maskCard },
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
  ? pino(
      options,
      pino.multistream([
        { stream: pino.destination(1), level: 'trace' },
        { stream: otlpLogStream(), level: 'trace' },
      ]),
    )
  : pino(options);

/** A logger for one component of a service, e.g. `logger('kafka')`. */
export function logger(component: string): Logger {
  return root.child({ component });
}

export function setServiceName(service: string): void {
  // The base already names OTEL_SERVICE_NAME's service; binding it again would print the key twice.
  if (service !== (process.env.OTEL_SERVICE_NAME ?? 'ordersaga')) root.setBindings({ service });
}
