/**
 * `@ServiceNode('name')`: makes a method show up in the APM's dependency map as a service of its own.
 *
 * ```ts
 * class PaymentPreparation {
 *   @ServiceNode('payment-risk')
 *   async screenRisk(subtotalMinor: number, country: string) { … }
 * }
 * ```
 *
 * A call of `screenRisk` then makes two spans, in the caller's trace:
 *
 *   order            CLIENT  screenRisk   peer.service = payment-risk   (child of the caller's active span)
 *   └ payment-risk   SERVER  screenRisk                                 (its own resource: service.name = payment-risk)
 *
 * APMs name a span's service after its OTel *resource*, and one tracer provider has one resource; so
 * each node gets a tracer provider of its own whose resource is this process's under the node's
 * name. The SERVER span is the node's entry, the CLIENT span the caller's exit that names it: Instana
 * (like most APMs) draws a call between two services from that pair, so the map gets the edge
 * caller → node, and the trace stays one tree. Errors mark both spans and are rethrown.
 *
 * For TC39 standard decorators (TypeScript 5 without `experimentalDecorators`), on async methods.
 */
import { context, INVALID_SPAN_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { spanExporter } from './exporters.js';
import { PEER_SERVICE, SERVICE_PEER_NAME } from './peer-service.js';
import { serviceNodeResource, telemetryEnabled } from './resource.js';

export const VIRTUAL_NODE_ATTRIBUTE = 'ordersaga.virtual_node';

const providers = new Map<string, BasicTracerProvider>();
let processorFactory: () => SpanProcessor | undefined = () => {
  const exporter = spanExporter();
  return exporter ? new BatchSpanProcessor(exporter) : undefined;
};

/** Tests (and the benchmark) route virtual-node spans elsewhere. Call before the first decorated call. */
export function setServiceNodeSpanProcessor(factory: () => SpanProcessor | undefined): void {
  processorFactory = factory;
}

function tracerFor(node: string): Tracer {
  let provider = providers.get(node);
  if (!provider) {
    const processor = processorFactory();
    // Never an empty list: the provider would then build an exporter of its own from the environment.
    provider = new BasicTracerProvider({ resource: serviceNodeResource(node), spanProcessors: [processor ?? new NoopSpanProcessor()] });
    providers.set(node, provider);
  }
  return provider.getTracer('ordersaga.service-node');
}

function fail(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
}

/**
 * Runs `work` as the virtual service `node`: an exit span in the caller's service, and under it the
 * node's entry span, in which `work` runs (so its own spans and logs belong to the node).
 */
export async function inServiceNode<T>(
  node: string,
  operation: string,
  work: (span: Span) => Promise<T>,
  codeNamespace?: string,
): Promise<T> {
  if (!telemetryEnabled()) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const code = { 'code.function': operation, ...(codeNamespace ? { 'code.namespace': codeNamespace } : {}) };
  const callerContext = context.active();
  const exit = trace
    .getTracer('ordersaga.service-node')
    .startSpan(
      operation,
      { kind: SpanKind.CLIENT, attributes: { [PEER_SERVICE]: node, [SERVICE_PEER_NAME]: node, [VIRTUAL_NODE_ATTRIBUTE]: node, ...code } },
      callerContext,
    );
  const exitContext = trace.setSpan(callerContext, exit);
  const entry = tracerFor(node).startSpan(
    operation,
    { kind: SpanKind.SERVER, attributes: { [VIRTUAL_NODE_ATTRIBUTE]: node, ...code } },
    exitContext,
  );
  try {
    return await context.with(trace.setSpan(exitContext, entry), () => work(entry));
  } catch (error) {
    fail(entry, error);
    fail(exit, error);
    throw error;
  } finally {
    entry.end();
    exit.end();
  }
}

/** Method decorator: every call of the method runs as the virtual service `node` (see above). */
export function ServiceNode(node: string) {
  return function decorate<This, Args extends unknown[], Result>(
    method: (this: This, ...args: Args) => Promise<Result>,
    decoratorContext: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<Result>>,
  ) {
    const operation = String(decoratorContext.name);
    return function (this: This, ...args: Args): Promise<Result> {
      const owner = (this as { constructor?: { name?: string } } | undefined)?.constructor?.name;
      return inServiceNode(node, operation, () => method.apply(this, args), owner);
    };
  };
}

/** Flushes and stops the nodes' providers; part of the process's telemetry shutdown. */
export async function shutdownServiceNodes(): Promise<void> {
  await Promise.all([...providers.values()].map((provider) => provider.shutdown().catch(() => undefined)));
  providers.clear();
}

export async function flushServiceNodes(): Promise<void> {
  await Promise.all([...providers.values()].map((provider) => provider.forceFlush().catch(() => undefined)));
}
