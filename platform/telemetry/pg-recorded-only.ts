/**
 * Database spans only inside a recorded trace.
 *
 * instrumentation-pg builds a query's span attributes and parses its statement before the sampler is
 * asked, so in a trace the sampler dropped (nine orders in ten under the prod overlay) every query
 * still paid for a span nobody would see: in a consumer that was more CPU than pg's own work
 * (docs/benchmarks.md, "Telemetry cost"). Here a query under a span that is not recording goes
 * straight to pg's own `query`; under a recording span it is traced as before. Queries outside any
 * span are skipped by the instrumentation itself (`requireParentSpan`, sdk.ts), so this only extends
 * that rule from "a parent" to "a recorded parent".
 *
 * Applied to pg's Client once pg is loaded (platform/db.ts). Without the instrumentation (telemetry
 * off) there is nothing to route around, and nothing changes.
 */
import { trace } from '@opentelemetry/api';

type QueryFunction = (...args: unknown[]) => unknown;
/** What shimmer, the instrumentations' wrapper, leaves on a wrapped function. */
type Wrapped = QueryFunction & { __original?: QueryFunction; __recordedOnly?: true };

export function traceQueriesOnlyWhenRecorded(clientPrototype: { query: unknown }): boolean {
  const instrumented = clientPrototype.query as Wrapped;
  const original = instrumented.__original;
  if (instrumented.__recordedOnly || typeof original !== 'function') return false;
  const query: Wrapped = function (this: unknown, ...args: unknown[]) {
    return trace.getActiveSpan()?.isRecording() ? instrumented.apply(this, args) : original.apply(this, args);
  };
  query.__recordedOnly = true;
  clientPrototype.query = query;
  return true;
}
