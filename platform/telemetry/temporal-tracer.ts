/**
 * The tracer the Temporal interceptors use outside the workflow sandbox (client and activities).
 * @temporalio/interceptors-opentelemetry makes every span INTERNAL; an APM draws calls between
 * services from exit (CLIENT) and entry (SERVER) spans, so without kinds the map would show no edge
 * into Temporal and none from the order worker to the inventory and fulfillment workers. This
 * wrapper gives the spans the kinds Temporal's Go and Java tracing interceptors use:
 *
 * - client calls (`StartWorkflow:…`, `SignalWorkflow:…`, `StartWorkflowUpdate:…`, `QueryWorkflow:…`, …)
 *   are CLIENT spans whose peer is `temporal`;
 * - `RunActivity:…` is the SERVER span of the worker that runs the activity.
 *
 * Names, attributes and parents stay as the interceptors make them.
 */
import {
  type Attributes,
  type Context,
  context as contextApi,
  type Span,
  SpanKind,
  type SpanOptions,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { PEER_SERVICE, SERVICE_PEER_NAME } from './peer-service.js';

export const TEMPORAL_PEER = 'temporal';

const CLIENT_CALLS =
  /^(StartWorkflow|SignalWorkflow|SignalWithStartWorkflow|QueryWorkflow|StartWorkflowUpdate|UpdateWithStartWorkflow|TerminateWorkflow|CancelWorkflow|DescribeWorkflow):/;

/** The kind and extra attributes a Temporal interceptor span gets, by its name. */
export function temporalSpanOptions(name: string): { kind: SpanKind; attributes: Attributes } | undefined {
  if (CLIENT_CALLS.test(name)) {
    return {
      kind: SpanKind.CLIENT,
      attributes: { [PEER_SERVICE]: TEMPORAL_PEER, [SERVICE_PEER_NAME]: TEMPORAL_PEER, 'rpc.system': 'temporal' },
    };
  }
  if (name.startsWith('RunActivity:')) return { kind: SpanKind.SERVER, attributes: {} };
  return undefined;
}

function withKind(name: string, options: SpanOptions = {}): SpanOptions {
  const extra = temporalSpanOptions(name);
  if (!extra) return options;
  return { ...options, kind: options.kind ?? extra.kind, attributes: { ...extra.attributes, ...options.attributes } };
}

type ActiveFn<F> = (span: Span) => F;

export function temporalTracer(base: Tracer = trace.getTracer('ordersaga.temporal')): Tracer {
  return {
    startSpan(name: string, options?: SpanOptions, context?: Context): Span {
      return base.startSpan(name, withKind(name, options), context);
    },
    startActiveSpan<F extends ActiveFn<unknown>>(name: string, ...rest: unknown[]): ReturnType<F> {
      const fn = rest[rest.length - 1] as F;
      const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
      const parent = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
      const active = parent ?? contextApi.active();
      const span = base.startSpan(name, withKind(name, options), active);
      return contextApi.with(trace.setSpan(active, span), () => fn(span)) as ReturnType<F>;
    },
  };
}
