/**
 * The conventions our telemetry adds on top of the instrumentations: exit spans naming their peer,
 * Kafka spans with the messaging conventions, Temporal spans with kinds, RED metrics from the TCP
 * line's SERVER spans, HTTP routes, bounded compensation reasons, consumer lag, log records, and the
 * exporter choice from the standard variables. Spans go to memory; nothing leaves the process.
 */
import { context, INVALID_SPAN_CONTEXT, metrics as metricsApi, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, setRPCMetadata } from '@opentelemetry/core';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { metrics, node, tracing } from '@opentelemetry/sdk-node';
import test from 'ava';
import { Hono } from 'hono';
import { withProblemDefaults } from '../../platform/http.js';
import { exporterKind, otlpProtocol } from '../../platform/telemetry/exporters.js';
import { computeLag } from '../../platform/telemetry/kafka-lag.js';
import { logContextOf, logRecordOf } from '../../platform/telemetry/logs.js';
import { consumerSpanAttributes, kafkaConsumerHook, kafkaProducerHook } from '../../platform/telemetry/messaging.js';
import { metricNames } from '../../platform/telemetry/metrics.js';
import { PeerServiceSpanProcessor, peerDirectory, peerOf } from '../../platform/telemetry/peer-service.js';
import { serviceNodeResource, serviceResource } from '../../platform/telemetry/resource.js';
import { RpcServerMetricsSpanProcessor } from '../../platform/telemetry/rpc-server-metrics.js';
import { QuietSpansSampler, samplerFromEnvironment } from '../../platform/telemetry/sampler.js';
import { temporalTracer } from '../../platform/telemetry/temporal-tracer.js';

const directory = peerDirectory([
  ['payment-sim', 'http://localhost:9090'],
  ['payment-sim', 'localhost:9091'],
  ['order', 'http://order:8081'],
]);

const spans = new tracing.InMemorySpanExporter();
const provider = new node.NodeTracerProvider({
  spanProcessors: [new PeerServiceSpanProcessor(directory), new RpcServerMetricsSpanProcessor(), new tracing.SimpleSpanProcessor(spans)],
});
provider.register();
const tracer = trace.getTracer('unit');

const metricReader = new (class extends metrics.MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
})();
metricsApi.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [metricReader] }));

function finished(name: string) {
  return spans.getFinishedSpans().filter((span) => span.name === name);
}

// ---- peers -----------------------------------------------------------------------------------------

test('exit spans are named after the peer their attributes point at', (t) => {
  t.is(peerOf({ 'messaging.system': 'kafka', 'messaging.destination': 'ordersaga.order.events' }, directory), 'kafka');
  t.is(
    peerOf({ 'db.system': 'postgresql', 'db.name': 'orders', 'net.peer.name': 'localhost', 'net.peer.port': 5432 }, directory),
    'orders-db',
  );
  t.is(peerOf({ 'db.system': 'postgresql', 'db.namespace': 'inventory' }, directory), 'inventory-db');
  t.is(peerOf({ 'server.address': 'localhost', 'server.port': 9090 }, directory), 'payment-sim');
  t.is(peerOf({ 'server.address': '127.0.0.1', 'server.port': 9091 }, directory), 'payment-sim', 'loopback spellings are one host');
  t.is(peerOf({ 'server.address': 'order', 'server.port': 8081 }, directory), 'order');
  t.is(peerOf({ 'server.address': 'example.com', 'server.port': 443 }, directory), undefined);
  t.is(peerOf({}, directory), undefined);
});

test('the processor adds peer.service and service.peer.name to CLIENT and PRODUCER spans only, and keeps a peer already named', (t) => {
  spans.reset();
  tracer.startSpan('peer-client', { kind: SpanKind.CLIENT, attributes: { 'server.address': 'localhost', 'server.port': 9090 } }).end();
  tracer.startSpan('peer-producer', { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka' } }).end();
  tracer
    .startSpan('peer-named', {
      kind: SpanKind.CLIENT,
      attributes: { 'peer.service': 'payment-sim', 'server.address': 'x', 'server.port': 1 },
    })
    .end();
  tracer.startSpan('peer-server', { kind: SpanKind.SERVER, attributes: { 'server.address': 'localhost', 'server.port': 9090 } }).end();
  tracer.startSpan('peer-unknown', { kind: SpanKind.CLIENT, attributes: { 'server.address': 'example.com', 'server.port': 443 } }).end();
  const peers = (name: string) => {
    const [span] = finished(name);
    return [span?.attributes['peer.service'], span?.attributes['service.peer.name']];
  };
  t.deepEqual(peers('peer-client'), ['payment-sim', 'payment-sim']);
  t.deepEqual(peers('peer-producer'), ['kafka', 'kafka']);
  t.deepEqual(peers('peer-named'), ['payment-sim', 'payment-sim']);
  t.deepEqual(peers('peer-server'), [undefined, undefined]);
  t.deepEqual(peers('peer-unknown'), [undefined, undefined]);
});

// ---- sampling ---------------------------------------------------------------------------------------

test('pool connects and transaction brackets are never recorded; the rest follows the configured sampler', (t) => {
  const sampler = new QuietSpansSampler(samplerFromEnvironment({}));
  const decide = (name: string) => sampler.shouldSample(context.active(), 'ab'.repeat(16), name, SpanKind.CLIENT, {}, []).decision;
  const RECORD_AND_SAMPLED = 2;
  const NOT_RECORD = 0;
  t.is(decide('pg-pool.connect'), NOT_RECORD);
  t.is(decide('pg.query:BEGIN orders'), NOT_RECORD);
  t.is(decide('pg.query:COMMIT analytics'), NOT_RECORD);
  t.is(decide('pg.query:ROLLBACK orders'), RECORD_AND_SAMPLED, 'a rollback means something went wrong: kept');
  t.is(decide('pg.query:INSERT analytics'), RECORD_AND_SAMPLED);
  t.is(decide('POST /orders'), RECORD_AND_SAMPLED);
  t.is(
    new QuietSpansSampler(samplerFromEnvironment({ OTEL_TRACES_SAMPLER: 'always_off' })).shouldSample(
      context.active(),
      'ab'.repeat(16),
      'POST /orders',
      SpanKind.SERVER,
      {},
      [],
    ).decision,
    NOT_RECORD,
  );
  t.regex(
    samplerFromEnvironment({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).toString(),
    /ParentBased.*TraceIdRatioBased\{0\.25\}/,
  );
  t.regex(samplerFromEnvironment({}).toString(), /ParentBased\{root=AlwaysOnSampler/);
});

test("a dropped span passes its parent's context through: what runs under it hangs under the parent", (t) => {
  spans.reset();
  const quietTracer = new node.NodeTracerProvider({
    sampler: new QuietSpansSampler(),
    spanProcessors: [new tracing.SimpleSpanProcessor(spans)],
  }).getTracer('quiet');
  const parent = quietTracer.startSpan('RunActivity:recordOrderTransition');
  const connect = quietTracer.startSpan('pg-pool.connect', {}, trace.setSpan(context.active(), parent));
  t.false(connect.isRecording());
  const query = quietTracer.startSpan('pg.query:UPDATE orders', {}, trace.setSpan(context.active(), parent));
  query.end();
  connect.end();
  parent.end();
  t.deepEqual(
    spans
      .getFinishedSpans()
      .map((span) => span.name)
      .sort(),
    ['RunActivity:recordOrderTransition', 'pg.query:UPDATE orders'],
  );
  t.is(finished('pg.query:UPDATE orders')[0]?.parentSpanId, parent.spanContext().spanId);
});

// ---- Kafka -----------------------------------------------------------------------------------------

test('Kafka spans get the messaging conventions: names, destination, operation, key, message id, offset, group, partition', (t) => {
  spans.reset();
  const producer = tracer.startSpan('ordersaga.order.events', { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka' } });
  kafkaProducerHook(producer, {
    topic: 'ordersaga.order.events',
    message: {
      key: 'order-1',
      value: '{}',
      headers: { ce_id: 'evt-1', ce_type: 'order.v1.created', 'content-type': 'application/cloudevents+json' },
    },
  });
  producer.end();
  const consumer = tracer.startSpan('ordersaga.order.events', { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'kafka' } });
  kafkaConsumerHook(consumer, {
    topic: 'ordersaga.order.events',
    message: { key: Buffer.from('order-1'), value: Buffer.from('{}'), headers: { ce_id: Buffer.from('evt-1') }, offset: '41' } as never,
  });
  consumer.setAttributes(consumerSpanAttributes('analytics', 2));
  consumer.end();

  const [sent] = finished('send ordersaga.order.events');
  t.like(sent?.attributes, {
    'messaging.system': 'kafka',
    'messaging.destination.name': 'ordersaga.order.events',
    'messaging.operation.type': 'send',
    'messaging.kafka.message.key': 'order-1',
    'messaging.message.id': 'evt-1',
    'cloudevents.event_id': 'evt-1',
    'cloudevents.event_type': 'order.v1.created',
    'peer.service': 'kafka',
  });
  const [processed] = finished('process ordersaga.order.events');
  t.like(processed?.attributes, {
    'messaging.destination.name': 'ordersaga.order.events',
    'messaging.operation.type': 'process',
    'messaging.kafka.message.key': 'order-1',
    'messaging.message.id': 'evt-1',
    'messaging.kafka.offset': 41,
    'messaging.consumer.group.name': 'analytics',
    'messaging.destination.partition.id': '2',
  });
  t.is(processed?.attributes['peer.service'], undefined, 'a consumer span is an entry, not an exit');
});

test('consumer lag: high watermark minus the committed offset; nothing committed lags by what is retained', (t) => {
  const lag = computeLag(
    [
      {
        topic: 'a',
        partitions: [
          { partition: 0, offset: '10' },
          { partition: 1, offset: '-1' },
        ],
      },
    ],
    [
      {
        topic: 'a',
        partitions: [
          { partition: 0, high: '15', low: '0' },
          { partition: 1, high: '9', low: '4' },
          { partition: 2, high: '3', low: '0' },
        ],
      },
      { topic: 'b', partitions: [{ partition: 0, high: '0', low: '0' }] },
    ],
  );
  t.deepEqual(lag, [
    { topic: 'a', partition: 0, lag: 5 },
    { topic: 'a', partition: 1, lag: 5 },
    { topic: 'a', partition: 2, lag: 3 },
    { topic: 'b', partition: 0, lag: 0 },
  ]);
});

// ---- Temporal ----------------------------------------------------------------------------------------

test('Temporal client calls become CLIENT spans whose peer is temporal, activity runs SERVER spans; others stay as made', async (t) => {
  spans.reset();
  const temporal = temporalTracer(tracer);
  const parent = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER });
  await context.with(trace.setSpan(context.active(), parent), () =>
    temporal.startActiveSpan('StartWorkflow:OrderWorkflow', async (span) => {
      t.is(trace.getActiveSpan(), span, 'the span is active inside the callback');
      span.end();
    }),
  );
  parent.end();
  temporal.startActiveSpan('RunActivity:reserveStock', {}, (span) => span.end());
  temporal.startActiveSpan('CompleteWorkflow', { attributes: { a: 1 } }, context.active(), (span) => span.end());
  temporal.startSpan('StartWorkflowUpdate:cancelOrder').end();

  const [start] = finished('StartWorkflow:OrderWorkflow');
  t.is(start?.kind, SpanKind.CLIENT);
  t.is(start?.parentSpanId, parent.spanContext().spanId);
  t.like(start?.attributes, { 'peer.service': 'temporal', 'service.peer.name': 'temporal' });
  t.is(finished('RunActivity:reserveStock')[0]?.kind, SpanKind.SERVER);
  t.is(finished('CompleteWorkflow')[0]?.kind, SpanKind.INTERNAL);
  t.deepEqual(finished('CompleteWorkflow')[0]?.attributes, { a: 1 });
  t.is(finished('StartWorkflowUpdate:cancelOrder')[0]?.kind, SpanKind.CLIENT);
});

// ---- RED metrics --------------------------------------------------------------------------------------

test('each SERVER span of an RPC line is one rpc.server.duration measurement with its method and outcome', async (t) => {
  const approve = tracer.startSpan('PaymentTelegram/Approve', {
    kind: SpanKind.SERVER,
    attributes: {
      'rpc.system': 'ordersaga-telegram',
      'rpc.service': 'PaymentTelegram',
      'rpc.method': 'Approve',
      'ordersaga.telegram.trace_number': 17,
    },
  });
  approve.setAttribute('ordersaga.telegram.response_code', '0000');
  approve.end();
  const failed = tracer.startSpan('PaymentTelegram/Approve', {
    kind: SpanKind.SERVER,
    attributes: { 'rpc.system': 'ordersaga-telegram', 'rpc.method': 'Approve' },
  });
  failed.setAttribute('ordersaga.telegram.response_code', '0096');
  failed.setStatus({ code: SpanStatusCode.ERROR });
  failed.end();
  tracer.startSpan('GET /health', { kind: SpanKind.SERVER }).end();

  const { resourceMetrics } = await metricReader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === metricNames.rpcServerDuration);
  t.truthy(metric);
  const points = metric!.dataPoints.map((point) => point.attributes);
  t.deepEqual(
    points.sort((a, b) => String(a['ordersaga.telegram.response_code']).localeCompare(String(b['ordersaga.telegram.response_code']))),
    [
      {
        'rpc.system': 'ordersaga-telegram',
        'rpc.service': 'PaymentTelegram',
        'rpc.method': 'Approve',
        'ordersaga.telegram.response_code': '0000',
      },
      { 'rpc.system': 'ordersaga-telegram', 'rpc.method': 'Approve', 'ordersaga.telegram.response_code': '0096', 'error.type': '0096' },
    ],
    'no trace numbers or order ids in the series',
  );
});

test('HTTP server spans learn the route that answered, for their name and http.route', async (t) => {
  const app = withProblemDefaults(new Hono(), 'unit');
  app.get('/orders/summary', (c) => c.json({}));
  app.get('/orders/:orderId', (c) => c.json({}));
  const routeFor = async (path: string) => {
    const metadata = { type: RPCType.HTTP as const, span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT) };
    await context.with(setRPCMetadata(context.active(), metadata), () => app.request(path));
    return (metadata as { route?: string }).route;
  };
  t.is(await routeFor('/orders/summary'), '/orders/summary', 'the first route registered answers, and is the one named');
  t.is(await routeFor('/orders/0b0e'), '/orders/:orderId');
  t.is(await routeFor('/nothing/here'), undefined, 'an unknown path names no route (no series per path)');
  t.is(getRPCMetadata(context.active()), undefined);
});

// ---- business metrics ----------------------------------------------------------------------------------

// ---- logs, resource, exporters ---------------------------------------------------------------------------

test('a JSON log line becomes a log record: severity, body, attributes, exception fields; ids stay out of the attributes', (t) => {
  const record = logRecordOf({
    level: 'warn',
    time: '2026-11-25T12:00:00.000Z',
    service: 'order',
    component: 'payment-tcp',
    msg: 'authorization outcome unknown',
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
    orderId: 'o-1',
    result: { voided: true },
    err: { type: 'TelegramRequestError', message: 'no answer', stack: 'TelegramRequestError: no answer\n    at …' },
  });
  t.deepEqual(record, {
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'authorization outcome unknown',
    timestamp: Date.parse('2026-11-25T12:00:00.000Z'),
    attributes: {
      component: 'payment-tcp',
      orderId: 'o-1',
      result: '{"voided":true}',
      'exception.type': 'TelegramRequestError',
      'exception.message': 'no answer',
      'exception.stacktrace': 'TelegramRequestError: no answer\n    at …',
    },
  });
});

test('a log record belongs to the span its line names, also when the line got its ids from a library rather than the active span', (t) => {
  const ids = { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' };
  const named = trace.getSpanContext(logContextOf(ids, context.active()));
  t.like(named, { traceId: ids.trace_id, spanId: ids.span_id });
  const active = tracer.startSpan('active');
  const activeContext = trace.setSpan(context.active(), active);
  t.is(logContextOf({ trace_id: active.spanContext().traceId, span_id: active.spanContext().spanId }, activeContext), activeContext);
  t.is(logContextOf({ msg: 'no ids' }, activeContext), activeContext);
  t.is(logContextOf({ trace_id: 'nope', span_id: ids.span_id }, activeContext), activeContext);
  active.end();
});

test('the resource names the service, its namespace, version, instance, environment, host and process; a virtual node keeps its own name', (t) => {
  const resource = serviceResource('order');
  t.like(resource.attributes, { 'service.name': 'order', 'service.namespace': 'ordersaga', 'deployment.environment.name': 'dev' });
  for (const key of ['service.version', 'service.instance.id', 'host.name', 'host.arch', 'process.pid', 'process.runtime.name']) {
    t.not(resource.attributes[key], undefined, key);
  }
  const nodeResource = serviceNodeResource('payment-risk');
  t.is(nodeResource.attributes['service.name'], 'payment-risk');
  t.is(nodeResource.attributes['process.pid'], process.pid, 'the node runs in this process');
  t.not(nodeResource.attributes['service.instance.id'], resource.attributes['service.instance.id']);
});

test('exporters follow OTEL_*_EXPORTER and the OTLP protocol variables; logs are opt-in; a typo fails loudly', (t) => {
  t.is(exporterKind('traces', {}), 'otlp');
  t.is(exporterKind('metrics', {}), 'otlp');
  t.is(exporterKind('logs', {}), 'none');
  t.is(exporterKind('logs', { OTEL_LOGS_EXPORTER: 'otlp' }), 'otlp');
  t.is(exporterKind('traces', { OTEL_TRACES_EXPORTER: 'otlp,none' }), 'none');
  t.is(exporterKind('traces', { OTEL_TRACES_EXPORTER: ' console ' }), 'console');
  t.throws(() => exporterKind('traces', { OTEL_TRACES_EXPORTER: 'jaeger' }), { message: /OTEL_TRACES_EXPORTER/ });
  t.is(otlpProtocol('traces', {}), 'http/protobuf');
  t.is(otlpProtocol('traces', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), 'grpc');
  t.is(otlpProtocol('metrics', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' }), 'http/json');
  t.throws(() => otlpProtocol('logs', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }), { message: /http\/protobuf, http\/json, grpc/ });
});
