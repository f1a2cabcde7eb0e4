/** W3C traceparent on the load's requests (loadgen/traceparent.ts). */
import test from 'ava';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  orderTraceContext,
  parseTraceparent,
  pollTraceContext,
} from '../../loadgen/traceparent.js';

const W3C = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

test('a new order gets a valid, sampled traceparent with fresh ids', (t) => {
  const seen = new Set<string>();
  for (let index = 0; index < 200; index += 1) {
    const header = formatTraceparent(orderTraceContext());
    t.regex(header, W3C);
    t.true(header.endsWith('-01'));
    const parsed = parseTraceparent(header);
    t.truthy(parsed);
    t.not(parsed!.traceId, '0'.repeat(32));
    t.not(parsed!.parentSpanId, '0'.repeat(16));
    seen.add(parsed!.traceId);
  }
  t.is(seen.size, 200);
});

test('ids have the W3C lengths and are lower-case hex', (t) => {
  t.regex(newTraceId(), /^[0-9a-f]{32}$/);
  t.regex(newSpanId(), /^[0-9a-f]{16}$/);
});

test('format and parse are inverse; invalid headers are refused', (t) => {
  const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  t.deepEqual(parseTraceparent(header), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7', sampled: true });
  t.is(formatTraceparent(parseTraceparent(header)!), header);
  t.is(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
  t.is(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'), undefined);
  t.is(parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'), undefined);
  t.is(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), undefined);
});

test('status polls stay in the order’s trace but are not sampled', (t) => {
  const order = orderTraceContext();
  const poll = pollTraceContext(order);
  t.is(poll.traceId, order.traceId);
  t.not(poll.parentSpanId, order.parentSpanId);
  t.true(formatTraceparent(poll).endsWith('-00'));
});

test('an active OpenTelemetry span is used as the parent', (t) => {
  const active = trace.wrapSpanContext({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  });
  // Without an SDK there is no context manager, so the context is handed over rather than made active.
  const inside = orderTraceContext(trace.setSpan(ROOT_CONTEXT, active));
  t.deepEqual(inside, { traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331', sampled: true });
});
