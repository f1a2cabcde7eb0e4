/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for the load's requests, so each order's
 * trace starts at the load generator: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
 *
 * Each order gets its own trace. When the process has an active OpenTelemetry span (the load generator
 * embedded in something traced, or run with an SDK), the order joins that span's trace instead, with
 * that span as parent.
 */
import { randomBytes } from 'node:crypto';
import { context, isSpanContextValid, trace, TraceFlags, type Context } from '@opentelemetry/api';

export interface TraceContext {
  traceId: string;
  /** The span the order's requests hang under: the caller's span as seen by the gateway. */
  parentSpanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    // All-zero ids are invalid; vanishingly unlikely, but a receiver would drop the context.
    if (!/^0+$/.test(hex)) return hex;
  }
}

export const newTraceId = (): string => nonZeroHex(16);
export const newSpanId = (): string => nonZeroHex(8);

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.parentSpanId}-${trace.sampled ? '01' : '00'}`;
}

/** The parts of a version-00 traceparent, or undefined when it is not one (all-zero ids included). */
export function parseTraceparent(header: string): TraceContext | undefined {
  const match = TRACEPARENT.exec(header);
  if (!match) return undefined;
  const [, traceId = '', parentSpanId = '', flags = '00'] = match;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return undefined;
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** A new order's trace context: the active span's if there is one, otherwise fresh random ids, sampled. */
export function orderTraceContext(current: Context = context.active()): TraceContext {
  const active = trace.getSpanContext(current);
  if (active && isSpanContextValid(active)) {
    return {
      traceId: active.traceId,
      parentSpanId: active.spanId,
      sampled: (active.traceFlags & TraceFlags.SAMPLED) !== 0,
    };
  }
  return { traceId: newTraceId(), parentSpanId: newSpanId(), sampled: true };
}

/**
 * The context of one status poll: the order's trace id (so a poll's log lines lead to the order), a
 * span id of its own, and *not sampled*, so the APM keeps the order's trace to the saga instead of
 * dozens of reads. The gateway's parent-based sampler then records nothing for polls.
 */
export function pollTraceContext(order: TraceContext): TraceContext {
  return { traceId: order.traceId, parentSpanId: newSpanId(), sampled: false };
}
