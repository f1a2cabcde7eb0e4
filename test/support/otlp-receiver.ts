/**
 * A real OTLP/HTTP receiver for the tests: `POST /v1/traces`, `/v1/metrics` and `/v1/logs` in the
 * protobuf wire format (`application/x-protobuf`, what our exporters send by default) or OTLP/JSON,
 * gzip or not, decoded with the protobuf definitions @opentelemetry/otlp-transformer ships (the code
 * our own exporters encode with), so nothing here is a hand-written decoder. Everything received is
 * kept in memory (the oldest traces and log records go first past a cap) and served as JSON:
 *
 *   GET /api/status                       counts, and the services seen per signal
 *   GET /api/traces/<traceId>             the spans of one trace
 *   GET /api/spans?service=&name=&kind=&attribute=key=value&limit=
 *   GET /api/metrics?name=&service=       the latest point per series (cumulative sums as sent, delta sums added up)
 *   GET /api/logs?traceId=&service=&limit=
 *
 * test/support/otlp-receiver-main.ts runs it as a process of its own (infra/local/test.sh starts it
 * before the services, so it holds everything they export from their first span); the unit tests
 * start it in process on a free port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protos from '@opentelemetry/otlp-transformer/build/src/generated/root.js';

const otlp = (protos as any).opentelemetry.proto;
const TraceRequest = otlp.collector.trace.v1.ExportTraceServiceRequest;
const MetricsRequest = otlp.collector.metrics.v1.ExportMetricsServiceRequest;
const LogsRequest = otlp.collector.logs.v1.ExportLogsServiceRequest;
const TO_OBJECT = { longs: String, enums: Number, bytes: Array, defaults: false, arrays: true, objects: true, oneofs: false } as const;

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;
export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  startTimeMs: number;
  endTimeMs: number;
  durationMs: number;
  attributes: Attributes;
  status: { code: StatusCodeName; message?: string };
  events: { name: string; attributes: Attributes }[];
  links: { traceId: string; spanId: string }[];
  /** The resource's `service.name`. */
  service: string;
  resource: Attributes;
  scope: string;
}

export type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

export interface ReceivedMetricPoint {
  service: string;
  /** The resource's `service.instance.id`: one series per process even when services share a name. */
  instance: string;
  scope: string;
  name: string;
  unit: string;
  description: string;
  kind: MetricKind;
  temporality?: 'delta' | 'cumulative';
  monotonic?: boolean;
  attributes: Attributes;
  /** gauge and sum */
  value?: number;
  /** histograms and summaries */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
  timeMs: number;
}

export interface ReceivedLogRecord {
  service: string;
  timeMs: number;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: Attributes;
  traceId?: string;
  spanId?: string;
}

export interface ReceiverStatus {
  spans: number;
  traces: number;
  metricSeries: number;
  logs: number;
  /** Export requests accepted, per signal. */
  requests: Record<'traces' | 'metrics' | 'logs', number>;
  /** Requests refused (undecodable, wrong content type). */
  rejected: number;
  /** Spans and log records dropped to stay under the caps. */
  dropped: { spans: number; logs: number };
  services: Record<'traces' | 'metrics' | 'logs', string[]>;
}

const SPAN_KINDS: SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES: StatusCodeName[] = ['UNSET', 'OK', 'ERROR'];

// ---- decoding: both encodings end up as the same plain objects ------------------------------------

type Encoding = 'protobuf' | 'json';

/** Ids are bytes in protobuf (here arrays of numbers) and hex strings in OTLP/JSON. */
function idOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const hex = typeof value === 'string' ? value.toLowerCase() : Buffer.from(value as number[]).toString('hex');
  return /^0*$/.test(hex) ? undefined : hex;
}

function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') return Number(value);
  return 0;
}

function nanosToMs(value: unknown): number {
  if (value === undefined || value === null) return 0;
  const nanos = typeof value === 'string' ? BigInt(value) : BigInt(Math.round(numberOf(value)));
  return Number(nanos / 1000n) / 1000;
}

function anyValue(value: any): AttributeValue {
  if (value === undefined || value === null) return null;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return numberOf(value.intValue);
  if ('doubleValue' in value) return numberOf(value.doubleValue);
  if ('arrayValue' in value) return (value.arrayValue?.values ?? []).map(anyValue);
  if ('kvlistValue' in value) return attributesOf(value.kvlistValue?.values);
  if ('bytesValue' in value) return Buffer.from(value.bytesValue).toString('base64');
  return null;
}

function attributesOf(list: any[] | undefined): Attributes {
  const attributes: Attributes = {};
  for (const { key, value } of list ?? []) attributes[key] = anyValue(value);
  return attributes;
}

function enumIndex(value: unknown, names: readonly string[], prefix: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const index = names.indexOf(value.replace(prefix, ''));
    return index >= 0 ? index : 0;
  }
  return 0;
}

function decode(type: any, body: Buffer, encoding: Encoding): any {
  if (encoding === 'json') return JSON.parse(body.toString('utf8'));
  return type.toObject(type.decode(body), TO_OBJECT);
}

export function decodeTraces(body: Buffer, encoding: Encoding = 'protobuf'): ReceivedSpan[] {
  const request = decode(TraceRequest, body, encoding);
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = String(resource['service.name'] ?? 'unknown');
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = scopeSpans.scope?.name ?? '';
      for (const span of scopeSpans.spans ?? []) {
        const startTimeMs = nanosToMs(span.startTimeUnixNano);
        const endTimeMs = nanosToMs(span.endTimeUnixNano);
        const parentSpanId = idOf(span.parentSpanId);
        spans.push({
          traceId: idOf(span.traceId) ?? '',
          spanId: idOf(span.spanId) ?? '',
          ...(parentSpanId ? { parentSpanId } : {}),
          name: span.name ?? '',
          kind: SPAN_KINDS[enumIndex(span.kind, SPAN_KINDS, 'SPAN_KIND_')] ?? 'UNSPECIFIED',
          startTimeMs,
          endTimeMs,
          durationMs: endTimeMs - startTimeMs,
          attributes: attributesOf(span.attributes),
          status: {
            code: STATUS_CODES[enumIndex(span.status?.code, STATUS_CODES, 'STATUS_CODE_')] ?? 'UNSET',
            ...(span.status?.message ? { message: span.status.message } : {}),
          },
          events: (span.events ?? []).map((event: any) => ({ name: event.name ?? '', attributes: attributesOf(event.attributes) })),
          links: (span.links ?? []).map((link: any) => ({ traceId: idOf(link.traceId) ?? '', spanId: idOf(link.spanId) ?? '' })),
          service,
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

export function decodeMetrics(body: Buffer, encoding: Encoding = 'protobuf'): ReceivedMetricPoint[] {
  const request = decode(MetricsRequest, body, encoding);
  const points: ReceivedMetricPoint[] = [];
  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const resource = attributesOf(resourceMetrics.resource?.attributes);
    const service = String(resource['service.name'] ?? 'unknown');
    const instance = String(resource['service.instance.id'] ?? '');
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      const scope = scopeMetrics.scope?.name ?? '';
      for (const metric of scopeMetrics.metrics ?? []) {
        const base = { service, instance, scope, name: metric.name ?? '', unit: metric.unit ?? '', description: metric.description ?? '' };
        const temporalityOf = (value: unknown) =>
          enumIndex(value, ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'], 'AGGREGATION_TEMPORALITY_') === 1 ? 'delta' : 'cumulative';
        const numberPoint = (point: any) => ('asInt' in point ? numberOf(point.asInt) : numberOf(point.asDouble));
        if (metric.gauge) {
          for (const point of metric.gauge.dataPoints ?? []) {
            points.push({
              ...base,
              kind: 'gauge',
              attributes: attributesOf(point.attributes),
              value: numberPoint(point),
              timeMs: nanosToMs(point.timeUnixNano),
            });
          }
        } else if (metric.sum) {
          for (const point of metric.sum.dataPoints ?? []) {
            points.push({
              ...base,
              kind: 'sum',
              temporality: temporalityOf(metric.sum.aggregationTemporality),
              monotonic: Boolean(metric.sum.isMonotonic),
              attributes: attributesOf(point.attributes),
              value: numberPoint(point),
              timeMs: nanosToMs(point.timeUnixNano),
            });
          }
        } else if (metric.histogram) {
          for (const point of metric.histogram.dataPoints ?? []) {
            points.push({
              ...base,
              kind: 'histogram',
              temporality: temporalityOf(metric.histogram.aggregationTemporality),
              attributes: attributesOf(point.attributes),
              count: numberOf(point.count),
              sum: numberOf(point.sum),
              bucketCounts: (point.bucketCounts ?? []).map(numberOf),
              explicitBounds: (point.explicitBounds ?? []).map(numberOf),
              timeMs: nanosToMs(point.timeUnixNano),
            });
          }
        } else if (metric.exponentialHistogram) {
          for (const point of metric.exponentialHistogram.dataPoints ?? []) {
            points.push({
              ...base,
              kind: 'exponentialHistogram',
              temporality: temporalityOf(metric.exponentialHistogram.aggregationTemporality),
              attributes: attributesOf(point.attributes),
              count: numberOf(point.count),
              sum: numberOf(point.sum),
              timeMs: nanosToMs(point.timeUnixNano),
            });
          }
        } else if (metric.summary) {
          for (const point of metric.summary.dataPoints ?? []) {
            points.push({
              ...base,
              kind: 'summary',
              attributes: attributesOf(point.attributes),
              count: numberOf(point.count),
              sum: numberOf(point.sum),
              timeMs: nanosToMs(point.timeUnixNano),
            });
          }
        }
      }
    }
  }
  return points;
}

export function decodeLogs(body: Buffer, encoding: Encoding = 'protobuf'): ReceivedLogRecord[] {
  const request = decode(LogsRequest, body, encoding);
  const records: ReceivedLogRecord[] = [];
  for (const resourceLogs of request.resourceLogs ?? []) {
    const resource = attributesOf(resourceLogs.resource?.attributes);
    const service = String(resource['service.name'] ?? 'unknown');
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      for (const record of scopeLogs.logRecords ?? []) {
        const traceId = idOf(record.traceId);
        const spanId = idOf(record.spanId);
        records.push({
          service,
          timeMs: nanosToMs(record.timeUnixNano ?? record.observedTimeUnixNano),
          severityNumber: enumIndex(record.severityNumber, [], ''),
          severityText: record.severityText ?? '',
          body: anyValue(record.body),
          attributes: attributesOf(record.attributes),
          ...(traceId ? { traceId } : {}),
          ...(spanId ? { spanId } : {}),
        });
      }
    }
  }
  return records;
}

// ---- storage ---------------------------------------------------------------------------------------

export interface StoreLimits {
  maxSpans: number;
  maxLogs: number;
}

export interface SpanQuery {
  service?: string;
  name?: string;
  kind?: SpanKindName;
  /** `key=value`: spans whose attribute `key` has the value (compared as text). */
  attribute?: string;
  limit?: number;
}

function seriesKey(point: ReceivedMetricPoint): string {
  const attributes = Object.entries(point.attributes).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([point.service, point.instance, point.scope, point.name, attributes]);
}

export class OtlpStore {
  /** Insertion-ordered, so the oldest trace is the first key. */
  private readonly traces = new Map<string, ReceivedSpan[]>();
  private spanCount = 0;
  private readonly series = new Map<string, ReceivedMetricPoint>();
  private logRecords: ReceivedLogRecord[] = [];
  private readonly servicesSeen = { traces: new Set<string>(), metrics: new Set<string>(), logs: new Set<string>() };
  readonly requests = { traces: 0, metrics: 0, logs: 0 };
  rejected = 0;
  private readonly dropped = { spans: 0, logs: 0 };

  constructor(private readonly limits: StoreLimits = { maxSpans: 400_000, maxLogs: 100_000 }) {}

  addSpans(spans: readonly ReceivedSpan[]): void {
    for (const span of spans) {
      this.servicesSeen.traces.add(span.service);
      let trace = this.traces.get(span.traceId);
      if (!trace) {
        trace = [];
        this.traces.set(span.traceId, trace);
      }
      trace.push(span);
      this.spanCount += 1;
    }
    while (this.spanCount > this.limits.maxSpans) {
      const oldest = this.traces.keys().next();
      if (oldest.done) break;
      this.spanCount -= this.traces.get(oldest.value)?.length ?? 0;
      this.dropped.spans += this.traces.get(oldest.value)?.length ?? 0;
      this.traces.delete(oldest.value);
    }
  }

  addMetrics(points: readonly ReceivedMetricPoint[]): void {
    for (const point of points) {
      this.servicesSeen.metrics.add(point.service);
      const key = seriesKey(point);
      const previous = this.series.get(key);
      if (previous && point.temporality === 'delta') {
        // Deltas add up to what a cumulative exporter would have sent.
        this.series.set(key, {
          ...point,
          ...(point.value !== undefined ? { value: (previous.value ?? 0) + point.value } : {}),
          ...(point.count !== undefined ? { count: (previous.count ?? 0) + point.count } : {}),
          ...(point.sum !== undefined ? { sum: (previous.sum ?? 0) + point.sum } : {}),
        });
      } else {
        this.series.set(key, point);
      }
    }
  }

  addLogs(records: readonly ReceivedLogRecord[]): void {
    for (const record of records) this.servicesSeen.logs.add(record.service);
    this.logRecords.push(...records);
    if (this.logRecords.length > this.limits.maxLogs) {
      const excess = this.logRecords.length - this.limits.maxLogs;
      this.dropped.logs += excess;
      this.logRecords = this.logRecords.slice(excess);
    }
  }

  trace(traceId: string): ReceivedSpan[] {
    return [...(this.traces.get(traceId.toLowerCase()) ?? [])];
  }

  spans(query: SpanQuery = {}): ReceivedSpan[] {
    const [attributeKey, attributeValue] = query.attribute ? splitOnce(query.attribute, '=') : [undefined, undefined];
    const found: ReceivedSpan[] = [];
    const limit = query.limit ?? 10_000;
    for (const trace of this.traces.values()) {
      for (const span of trace) {
        if (query.service !== undefined && span.service !== query.service) continue;
        if (query.name !== undefined && span.name !== query.name) continue;
        if (query.kind !== undefined && span.kind !== query.kind) continue;
        if (attributeKey !== undefined && String(span.attributes[attributeKey]) !== attributeValue) continue;
        found.push(span);
        if (found.length >= limit) return found;
      }
    }
    return found;
  }

  metrics(query: { name?: string; service?: string } = {}): ReceivedMetricPoint[] {
    return [...this.series.values()].filter(
      (point) =>
        (query.name === undefined || point.name === query.name) && (query.service === undefined || point.service === query.service),
    );
  }

  logs(query: { traceId?: string; service?: string; limit?: number } = {}): ReceivedLogRecord[] {
    const found = this.logRecords.filter(
      (record) =>
        (query.traceId === undefined || record.traceId === query.traceId) &&
        (query.service === undefined || record.service === query.service),
    );
    return found.slice(-(query.limit ?? 10_000));
  }

  status(): ReceiverStatus {
    return {
      spans: this.spanCount,
      traces: this.traces.size,
      metricSeries: this.series.size,
      logs: this.logRecords.length,
      requests: { ...this.requests },
      rejected: this.rejected,
      dropped: { ...this.dropped },
      services: {
        traces: [...this.servicesSeen.traces].sort(),
        metrics: [...this.servicesSeen.metrics].sort(),
        logs: [...this.servicesSeen.logs].sort(),
      },
    };
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ''] : [text.slice(0, index), text.slice(index + separator.length)];
}

// ---- HTTP ---------------------------------------------------------------------------------------

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface RunningOtlpReceiver {
  url: string;
  port: number;
  store: OtlpStore;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function handleExport(
  request: IncomingMessage,
  response: ServerResponse,
  store: OtlpStore,
  signal: 'traces' | 'metrics' | 'logs',
): Promise<void> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
  const encoding: Encoding | undefined =
    contentType === 'application/x-protobuf' ? 'protobuf' : contentType === 'application/json' ? 'json' : undefined;
  if (!encoding) {
    store.rejected += 1;
    response.writeHead(415, { 'content-type': 'text/plain' }).end(`unsupported content type ${contentType || '(none)'}`);
    return;
  }
  try {
    const body = await readBody(request);
    if (signal === 'traces') store.addSpans(decodeTraces(body, encoding));
    else if (signal === 'metrics') store.addMetrics(decodeMetrics(body, encoding));
    else store.addLogs(decodeLogs(body, encoding));
    store.requests[signal] += 1;
  } catch (error) {
    store.rejected += 1;
    response.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode the ${signal} export: ${(error as Error).message}`);
    return;
  }
  // An empty Export*ServiceResponse: zero bytes in protobuf, `{}` in JSON. Full success.
  if (encoding === 'protobuf') response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
  else sendJson(response, 200, {});
}

function handleQuery(url: URL, response: ServerResponse, store: OtlpStore): void {
  const parameter = (name: string) => url.searchParams.get(name) ?? undefined;
  const limit = parameter('limit') === undefined ? undefined : Number(parameter('limit'));
  if (url.pathname === '/api/status') return sendJson(response, 200, store.status());
  const trace = /^\/api\/traces\/([0-9a-fA-F]{32})$/.exec(url.pathname);
  if (trace) return sendJson(response, 200, store.trace(trace[1]!));
  if (url.pathname === '/api/spans') {
    return sendJson(
      response,
      200,
      store.spans({
        service: parameter('service'),
        name: parameter('name'),
        kind: parameter('kind') as SpanKindName | undefined,
        attribute: parameter('attribute'),
        limit,
      }),
    );
  }
  if (url.pathname === '/api/metrics')
    return sendJson(response, 200, store.metrics({ name: parameter('name'), service: parameter('service') }));
  if (url.pathname === '/api/logs')
    return sendJson(response, 200, store.logs({ traceId: parameter('traceId'), service: parameter('service'), limit }));
  sendJson(response, 404, { error: `no route ${url.pathname}` });
}

const EXPORT_PATHS: Record<string, 'traces' | 'metrics' | 'logs'> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

export function startOtlpReceiver(options: { port?: number; host?: string; store?: OtlpStore } = {}): Promise<RunningOtlpReceiver> {
  const store = options.store ?? new OtlpStore();
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://receiver');
    const signal = EXPORT_PATHS[url.pathname];
    if (request.method === 'POST' && signal) {
      handleExport(request, response, store, signal).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500).end(String(error));
      });
      return;
    }
    if (request.method === 'GET') return handleQuery(url, response, store);
    response.writeHead(405, { 'content-type': 'text/plain' }).end('POST /v1/{traces,metrics,logs}, or GET /api/…');
  });
  // Exporters keep their connections alive between exports.
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${port}`,
        port,
        store,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            server.closeAllConnections();
          }),
      });
    });
  });
}
