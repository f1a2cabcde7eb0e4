/**
 * `@ServiceNode('name')`: makes a method show up in the APM's dependency map as a service of its own.
 *
 * APMs (Instana among them) name a span's service after its OTel *resource*, and one tracer
 * provider has one resource. So each virtual node gets its own tracer provider whose resource says
 * `service.name = <node>`; the decorated method runs in a span from that provider, started as a
 * child of the caller's active span, so the trace stays one tree while the map gains a node.
 */
import { context, INVALID_SPAN_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { serviceResource, telemetryEnabled } from './sdk.js';

const providers = new Map<string, BasicTracerProvider>();
let processorFactory: () => SpanProcessor = () => new BatchSpanProcessor(new OTLPTraceExporter());

/** Tests (and the benchmark) route virtual-node spans elsewhere. */
export function setServiceNodeSpanProcessor(factory: () => SpanProcessor): void {
  processorFactory = factory;
}

function tracerFor(node: string): Tracer {
  let provider = providers.get(node);
  if (!provider) {
    provider = new BasicTracerProvider({ resource: serviceResource(node) });
    provider.addSpanProcessor(processorFactory());
    providers.set(node, provider);
  }
  return provider.getTracer('ordersaga.service-node');
}

/** Runs `work` in a span reported under the service `node`, as a child of the active span. */
export async function inServiceNode<T>(node: string, operation: string, work: (span: Span) => Promise<T>): Promise<T> {
  if (!telemetryEnabled()) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const span = tracerFor(node).startSpan(operation, { kind: SpanKind.INTERNAL, attributes: { 'ordersaga.virtual_node': node } }, context.active());
  try {
    return await context.with(trace.setSpan(context.active(), span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** Method decorator (TC39 standard decorators) for async methods. */
export function ServiceNode(node: string) {
  return function decorate<This, Args extends unknown[], Result>(
    method: (this: This, ...args: Args) => Promise<Result>,
    decoratorContext: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<Result>>,
  ) {
    const operation = String(decoratorContext.name);
    return function (this: This, ...args: Args): Promise<Result> {
      return inServiceNode(node, operation, () => method.apply(this, args));
    };
  };
}

export async function shutdownServiceNodes(): Promise<void> {
  await Promise.all([...providers.values()].map((provider) => provider.shutdown().catch(() => undefined)));
}
