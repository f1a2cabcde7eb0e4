/**
 * The test suite's OTLP receiver (test/support/otlp-receiver.ts) against the real exporters of our
 * OpenTelemetry line: what the SDK sends over the wire (protobuf and JSON, gzip or not) is what the
 * receiver hands back, span for span, point for point.
 */
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import test from 'ava';
import { OtlpStore, startOtlpReceiver, type ReceivedSpan, type RunningOtlpReceiver } from '../support/otlp-receiver.js';
import { OtlpReceiverClient } from '../support/otlp-client.js';

let receiver: RunningOtlpReceiver;
test.before(async () => {
  receiver = await startOtlpReceiver({ port: 0 });
});
test.after.always(async () => {
  await receiver?.close();
});

const resource = new Resource({ 'service.name': 'unit-probe', 'service.instance.id': 'probe-1', 'service.namespace': 'ordersaga' });

/** Two spans, parent and child, through `exporter`; returns what the SDK itself recorded. */
async function exportTwoSpans(exporter: SpanExporter) {
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('unit');
  const parent = tracer.startSpan('POST /orders', {
    kind: SpanKind.SERVER,
    attributes: { 'http.route': '/orders', 'http.status_code': 202 },
  });
  const child = tracer.startSpan(
    'send ordersaga.order.events',
    { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', flags: [1, 2, 3], retried: false } },
    trace.setSpan(context.active(), parent),
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'broker gone' });
  child.addEvent('retry', { attempt: 2 });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { parent: parent.spanContext(), child: child.spanContext() };
}

async function traceOf(traceId: string): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const spans = receiver.store.trace(traceId);
    if (spans.length >= 2 || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const [label, makeExporter] of [
  ['protobuf', (url: string) => new OTLPTraceExporter({ url })],
  ['protobuf, gzip', (url: string) => new OTLPTraceExporter({ url, compression: CompressionAlgorithm.GZIP })],
  ['JSON', (url: string) => new JsonTraceExporter({ url })],
] as const) {
  test(`spans exported as OTLP/HTTP ${label} come back with ids, parents, kinds, attributes, status and resource`, async (t) => {
    const sent = await exportTwoSpans(makeExporter(`${receiver.url}/v1/traces`));
    const spans = await traceOf(sent.parent.traceId);
    t.is(spans.length, 2);
    const parent = spans.find((span) => span.spanId === sent.parent.spanId);
    const child = spans.find((span) => span.spanId === sent.child.spanId);
    t.truthy(parent);
    t.truthy(child);
    t.is(parent!.parentSpanId, undefined);
    t.is(parent!.kind, 'SERVER');
    t.is(parent!.name, 'POST /orders');
    t.deepEqual(parent!.attributes, { 'http.route': '/orders', 'http.status_code': 202 });
    t.is(child!.parentSpanId, sent.parent.spanId);
    t.is(child!.kind, 'PRODUCER');
    t.deepEqual(child!.attributes, { 'messaging.system': 'kafka', flags: [1, 2, 3], retried: false });
    t.deepEqual(child!.status, { code: 'ERROR', message: 'broker gone' });
    t.deepEqual(child!.events, [{ name: 'retry', attributes: { attempt: 2 } }]);
    t.is(child!.service, 'unit-probe');
    t.is(child!.resource['service.instance.id'], 'probe-1');
    t.is(child!.scope, 'unit');
    t.true(parent!.durationMs >= 0 && parent!.startTimeMs > Date.now() - 60_000);
  });
}

test('metrics exported over OTLP/HTTP protobuf keep names, units, kinds and attributes', async (t) => {
  const provider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${receiver.url}/v1/metrics` }),
        exportIntervalMillis: 60_000,
      }),
    ],
  });
  const meter = provider.getMeter('unit');
  meter.createCounter('orders.created', { unit: '{order}' }).add(3, { 'payment.channel': 'tcp' });
  meter
    .createHistogram('order.duration', { unit: 's', advice: { explicitBucketBoundaries: [1, 5] } })
    .record(2.5, { 'order.status': 'COMPLETED' });
  meter
    .createObservableGauge('messaging.kafka.consumer.lag')
    .addCallback((result) => result.observe(7, { 'messaging.consumer.group.name': 'analytics' }));
  await provider.forceFlush();
  await provider.shutdown();

  const [created] = receiver.store.metrics({ name: 'orders.created' });
  t.like(created, {
    service: 'unit-probe',
    instance: 'probe-1',
    kind: 'sum',
    monotonic: true,
    temporality: 'cumulative',
    unit: '{order}',
    value: 3,
  });
  t.deepEqual(created!.attributes, { 'payment.channel': 'tcp' });
  const [duration] = receiver.store.metrics({ name: 'order.duration' });
  t.like(duration, { kind: 'histogram', unit: 's', count: 1, sum: 2.5, explicitBounds: [1, 5], bucketCounts: [0, 1, 0] });
  const [lag] = receiver.store.metrics({ name: 'messaging.kafka.consumer.lag' });
  t.like(lag, { kind: 'gauge', value: 7, attributes: { 'messaging.consumer.group.name': 'analytics' } });
});

test('log records exported over OTLP/HTTP protobuf keep severity, body, attributes and trace context', async (t) => {
  const provider = new LoggerProvider({ resource });
  provider.addLogRecordProcessor(new SimpleLogRecordProcessor(new OTLPLogExporter({ url: `${receiver.url}/v1/logs` })));
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
  provider.getLogger('unit').emit({
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'echo failed; dropping the connection',
    attributes: { component: 'telegram-client' },
    context: trace.setSpanContext(context.active(), spanContext),
  });
  await provider.forceFlush();
  await provider.shutdown();
  const [record] = receiver.store.logs({ traceId: spanContext.traceId });
  t.like(record, {
    service: 'unit-probe',
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'echo failed; dropping the connection',
    attributes: { component: 'telegram-client' },
    spanId: spanContext.spanId,
  });
});

test('the query API serves what the store holds, and status counts requests per signal and the services seen', async (t) => {
  const sent = await exportTwoSpans(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }));
  const client = new OtlpReceiverClient(receiver.url);
  const spans = await client.trace(sent.parent.traceId);
  t.is(spans.length, 2);
  const byAttribute = await client.spans({ attribute: 'http.route=/orders', kind: 'SERVER' });
  t.true(byAttribute.some((span) => span.spanId === sent.parent.spanId));
  const status = await client.status();
  t.true(status.requests.traces >= 1);
  t.true(status.services.traces.includes('unit-probe'));
});

test('an export in an unknown content type is refused with 415, an undecodable one with 400, and neither is stored', async (t) => {
  const own = await startOtlpReceiver({ port: 0 });
  try {
    const text = await fetch(`${own.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    t.is(text.status, 415);
    const garbage = await fetch(`${own.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
    });
    t.is(garbage.status, 400);
    t.like(own.store.status(), { rejected: 2, spans: 0, requests: { traces: 0, metrics: 0, logs: 0 } });
  } finally {
    await own.close();
  }
});

test('past its cap the store drops whole traces, oldest first', (t) => {
  const store = new OtlpStore({ maxSpans: 4, maxLogs: 10 });
  const span = (traceId: string, spanId: string): ReceivedSpan => ({
    traceId,
    spanId,
    name: 'x',
    kind: 'INTERNAL',
    startTimeMs: 0,
    endTimeMs: 1,
    durationMs: 1,
    attributes: {},
    status: { code: 'UNSET' },
    events: [],
    links: [],
    service: 's',
    resource: {},
    scope: '',
  });
  store.addSpans([span('a'.repeat(32), '1'), span('a'.repeat(32), '2'), span('b'.repeat(32), '3')]);
  store.addSpans([span('c'.repeat(32), '4'), span('c'.repeat(32), '5')]);
  t.deepEqual(store.trace('a'.repeat(32)), []);
  t.is(store.trace('b'.repeat(32)).length, 1);
  t.is(store.trace('c'.repeat(32)).length, 2);
  t.deepEqual(store.status().dropped, { spans: 2, logs: 0 });
});
