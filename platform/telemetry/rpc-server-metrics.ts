/**
 * RED metrics (rate, errors, duration) for servers that are not HTTP: the payment simulator's TCP
 * 전문 line. instrumentation-http records `http.server.duration` for every HTTP server; for RPC there
 * is no instrumentation, so this processor turns each finished SERVER span that names an
 * `rpc.system` into one `rpc.server.duration` measurement with the span's own duration, method and
 * outcome. The span is the one record of the call, so metric and trace cannot disagree.
 *
 * It sees sampled spans only. With the default sampler (parent-based, always on) and clients that
 * send sampled trace contexts, that is every call; under a ratio sampler the counts would scale down.
 */
import { type Attributes, type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { businessMetrics } from './metrics.js';

/** The span attributes a measurement keeps: low-cardinality ones only (never trace numbers or order ids). */
const KEPT = ['rpc.system', 'rpc.service', 'rpc.method', 'ordersaga.telegram.response_code'] as const;

export function rpcServerMetricAttributes(span: Pick<ReadableSpan, 'attributes' | 'status'>): Attributes {
  const attributes: Attributes = {};
  for (const key of KEPT) {
    const value = span.attributes[key];
    if (value !== undefined) attributes[key] = value;
  }
  if (span.status.code === SpanStatusCode.ERROR) {
    attributes['error.type'] = String(span.attributes['ordersaga.telegram.response_code'] ?? 'error');
  }
  return attributes;
}

export class RpcServerMetricsSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (span.kind !== SpanKind.SERVER || span.attributes['rpc.system'] === undefined) return;
    businessMetrics().rpcServerDuration.record(hrTimeToMilliseconds(span.duration), rpcServerMetricAttributes(span));
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
