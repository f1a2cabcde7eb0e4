/**
 * The sampler: the standard one from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (default
 * `parentbased_always_on`: every order traced whole), except for a few spans that cost more than
 * they tell, which are never recorded:
 *
 * - `pg-pool.connect`: taking a connection from the pool, once per transaction and per query
 *   outside one; a pool that runs dry still shows, as queries that start late;
 * - `pg.query:BEGIN …` and `pg.query:COMMIT …`: the brackets of every transaction; the statements
 *   inside stay, as children of the same span (ROLLBACK stays too: it means something went wrong).
 *
 * Together they were a third of an order's spans. Dropped at the sampler, they are never built,
 * batched or exported; the context passes through them unchanged.
 */
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { getEnv } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

const QUIET_SPANS = /^(pg-pool\.connect$|pg\.query:(BEGIN|COMMIT)\b)/;

export function isQuietSpan(name: string): boolean {
  // every span passes here: the regular expression only for the few that can match
  return name.startsWith('pg') && QUIET_SPANS.test(name);
}

/** The sampler `OTEL_TRACES_SAMPLER` names, as the SDK builds it (unknown names fall back to the default). */
export function samplerFromEnvironment(env: { OTEL_TRACES_SAMPLER?: string; OTEL_TRACES_SAMPLER_ARG?: string } = getEnv()): Sampler {
  const ratio = () => {
    const value = Number(env.OTEL_TRACES_SAMPLER_ARG);
    return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
  };
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

export class QuietSpansSampler implements Sampler {
  constructor(private readonly delegate: Sampler = samplerFromEnvironment()) {}

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (isQuietSpan(spanName)) return { decision: SamplingDecision.NOT_RECORD };
    return this.delegate.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `QuietSpansSampler{${this.delegate.toString()}}`;
  }
}
