/**
 * `@ServiceNode` (platform/telemetry/service-node.ts): each call is an exit span in the caller's
 * service naming the node, and under it an entry span reported under the node's own resource, in
 * the caller's trace; errors mark both. Spans go to memory.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';
import test from 'ava';
import { ServiceNode, setServiceNodeSpanProcessor } from '../../platform/telemetry/service-node.js';
import { analyseTree } from '../support/otlp-traces.js';
import type { ReceivedSpan } from '../support/otlp-receiver.js';

const callerSpans = new tracing.InMemorySpanExporter();
const callerProvider = new node.NodeTracerProvider({
  resource: new (await import('@opentelemetry/resources')).Resource({ 'service.name': 'order' }),
  spanProcessors: [new tracing.SimpleSpanProcessor(callerSpans)],
});
callerProvider.register();
const nodeSpans = new tracing.InMemorySpanExporter();
setServiceNodeSpanProcessor(() => new tracing.SimpleSpanProcessor(nodeSpans));

class Checkout {
  calls = 0;

  @ServiceNode('checkout-validation')
  async validate(amount: number): Promise<number> {
    this.calls += 1;
    // Work inside the node belongs to the node: a span started here is its child.
    trace.getTracer('inner').startSpan('inner-work').end();
    return amount * 2;
  }

  @ServiceNode('checkout-risk')
  async screen(): Promise<never> {
    throw new Error('risk service says no');
  }
}

/** The SDK's spans as the receiver would report them, so the tree check is the one the e2e test uses. */
function asReceived(span: tracing.ReadableSpan): ReceivedSpan {
  const parentSpanId = span.parentSpanId;
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name: span.name,
    kind: (['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const)[span.kind],
    startTimeMs: 0,
    endTimeMs: 0,
    durationMs: 0,
    attributes: span.attributes as ReceivedSpan['attributes'],
    status: { code: 'UNSET' },
    events: [],
    links: [],
    service: String(span.resource.attributes['service.name']),
    resource: {},
    scope: span.instrumentationLibrary.name,
  };
}

test.serial(
  "a decorated call is CLIENT (caller, peer = node) then SERVER (node resource), in the caller's trace; the method keeps its this and result",
  async (t) => {
    callerSpans.reset();
    nodeSpans.reset();
    const checkout = new Checkout();
    const activity = trace.getTracer('unit').startSpan('RunActivity:preparePayment', { kind: SpanKind.SERVER });
    const result = await context.with(trace.setSpan(context.active(), activity), () => checkout.validate(21));
    activity.end();
    t.is(result, 42);
    t.is(checkout.calls, 1);

    const exit = callerSpans.getFinishedSpans().find((span) => span.name === 'validate');
    const entry = nodeSpans.getFinishedSpans().find((span) => span.name === 'validate');
    const inner = callerSpans.getFinishedSpans().find((span) => span.name === 'inner-work');
    t.truthy(exit && entry && inner);
    t.is(exit!.kind, SpanKind.CLIENT);
    t.is(exit!.resource.attributes['service.name'], 'order');
    t.is(exit!.parentSpanId, activity.spanContext().spanId);
    t.like(exit!.attributes, {
      'peer.service': 'checkout-validation',
      'service.peer.name': 'checkout-validation',
      'code.function': 'validate',
      'code.namespace': 'Checkout',
    });
    t.is(entry!.kind, SpanKind.SERVER);
    t.is(entry!.resource.attributes['service.name'], 'checkout-validation');
    t.is(entry!.parentSpanId, exit!.spanContext().spanId);
    t.is(entry!.spanContext().traceId, activity.spanContext().traceId);
    t.is(inner!.parentSpanId, entry!.spanContext().spanId, 'work done inside the method hangs under the node');

    const all = [...callerSpans.getFinishedSpans(), ...nodeSpans.getFinishedSpans()].map(asReceived);
    const tree = analyseTree(all);
    t.true(tree.connected);
    t.deepEqual(tree.services, ['checkout-validation', 'order']);
  },
);

test.serial('a failing node call marks both spans as errors and rethrows', async (t) => {
  callerSpans.reset();
  nodeSpans.reset();
  await t.throwsAsync(new Checkout().screen(), { message: 'risk service says no' });
  const exit = callerSpans.getFinishedSpans().find((span) => span.name === 'screen');
  const entry = nodeSpans.getFinishedSpans().find((span) => span.name === 'screen');
  t.is(exit?.status.code, SpanStatusCode.ERROR);
  t.is(entry?.status.code, SpanStatusCode.ERROR);
  t.is(entry?.events[0]?.name, 'exception');
  t.is(entry?.resource.attributes['service.name'], 'checkout-risk');
});
