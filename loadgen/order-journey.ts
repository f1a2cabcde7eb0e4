/**
 * The life of one load order, as a customer's app would live it: submit, maybe change its mind and
 * cancel, then watch the order until it reaches a terminal status or the deadline passes. Everything
 * it sees goes into the run record; nothing here throws for a failure of the estate.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isTerminal, orderStatuses, type OrderStatus, type TerminalStatus } from '../platform/contracts/order.js';
import type { Exchange, GatewayClient, OrderView } from './gateway-client.js';
import { pause } from './pause.js';
import type { PollLimiter } from './poll-limiter.js';
import type { ErrorKind, OrderRecord, RunRecord } from './run-record.js';
import type { LoadOrder } from './scenarios.js';
import { orderTraceContext, pollTraceContext, type TraceContext } from './traceparent.js';

export interface JourneySettings {
  deadlineMs: number;
  pollInitialMs: number;
  pollMaxMs: number;
  cancelDelayMaxMs: number;
  tracePolls: boolean;
}

export interface JourneyDeps {
  client: GatewayClient;
  record: RunRecord;
  polls: PollLimiter;
  settings: JourneySettings;
  /** Aborted when the run gives up on orders in flight (grace period over, or a second Ctrl-C). */
  abandon: AbortSignal;
}

const POLL_BACKOFF = 1.5;
const CANCEL_REASON = 'customer changed their mind (ordersaga load generator)';
const tracer = trace.getTracer('ordersaga-loadgen');

export function errorKind(stage: string, exchange: Exchange<unknown>): ErrorKind {
  switch (exchange.kind) {
    case 'answer':
      return `${stage}:http-${exchange.status}`;
    case 'network':
      return `${stage}:network-${exchange.code}`;
    case 'timeout':
      return `${stage}:timeout`;
  }
}

function isOrderStatus(status: string): status is OrderStatus {
  return (orderStatuses as readonly string[]).includes(status);
}

function terminalStatusOf(status: string): TerminalStatus | undefined {
  return isOrderStatus(status) && isTerminal(status) ? status : undefined;
}

/** PENDING to the terminal entry of the order's own history, in ms; undefined if the history lacks either. */
export function sagaDuration(history: OrderView['history']): number | undefined {
  const pending = history.find((entry) => entry.status === 'PENDING');
  const last = [...history].reverse().find((entry) => terminalStatusOf(entry.status));
  if (!pending || !last) return undefined;
  const ms = Date.parse(last.at) - Date.parse(pending.at);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** ±20 %, so orders accepted together do not poll in lockstep. */
const jitter = (ms: number): number => ms * (0.8 + Math.random() * 0.4);

/** Submits one order and follows it to its end; resolves with its record once it is settled. */
export function followOrder(load: LoadOrder, deps: JourneyDeps): Promise<OrderRecord> {
  return tracer.startActiveSpan(
    `load order ${load.scenario}`,
    { kind: SpanKind.CLIENT, attributes: { 'ordersaga.load.scenario': load.scenario, 'ordersaga.customer_id': load.customer.customerId } },
    async (span) => {
      try {
        const record = await journey(load, orderTraceContext(), deps);
        if (record.orderId) span.setAttribute('ordersaga.order_id', record.orderId);
        if (record.error) span.setStatus({ code: SpanStatusCode.ERROR, message: record.error });
        return record;
      } finally {
        span.end();
      }
    },
  );
}

async function journey(load: LoadOrder, traceContext: TraceContext, deps: JourneyDeps): Promise<OrderRecord> {
  const { client, record: run, settings, abandon } = deps;
  const order = run.begin({
    scenario: load.scenario,
    customerId: load.customer.customerId,
    channel: load.order.payment.channel,
    traceId: traceContext.traceId,
  });
  const startedAt = performance.now();
  const elapsed = () => performance.now() - startedAt;

  const submitted = await client.submitOrder(load.order, traceContext, load.idempotencyKey);
  if (submitted.kind !== 'answer' || submitted.status >= 300 || !submitted.body) {
    if (abandon.aborted) run.settle(order, 'abandoned', { error: 'terminal:abandoned' });
    else if (submitted.kind === 'answer' && submitted.status < 300)
      run.settle(order, 'submit-failed', { httpStatus: submitted.status, error: 'submit:bad-body' });
    else if (submitted.kind === 'answer')
      run.settle(order, 'refused', { httpStatus: submitted.status, error: errorKind('submit', submitted) });
    else run.settle(order, 'submit-failed', { error: errorKind('submit', submitted) });
    return order;
  }
  run.accept(order, submitted.body.orderId, submitted.status, elapsed());
  const orderId = submitted.body.orderId;
  order.status = submitted.body.status;

  if (load.scenario === 'cancel' && (await pause(Math.random() * settings.cancelDelayMaxMs, abandon))) {
    const answer = await client.cancelOrder(orderId, traceContext, CANCEL_REASON);
    if (answer.kind === 'answer' && answer.status < 300) run.cancelled(order, 'accepted');
    else if (answer.kind === 'answer' && answer.status === 409) run.cancelled(order, 'too-late');
    else if (answer.kind === 'answer' && (answer.status === 404 || answer.status === 405)) {
      run.cancelled(order, 'unsupported', `cancel:unsupported-${answer.status}`);
    } else run.cancelled(order, 'failed', errorKind('cancel', answer));
  }

  // The order may already be terminal (a resubmission answered with the existing order).
  const already = terminalStatusOf(order.status);
  if (already) {
    run.settle(order, already, { terminalMs: elapsed() });
    return order;
  }

  let wait = settings.pollInitialMs;
  for (;;) {
    const left = settings.deadlineMs - elapsed();
    if (left <= 0) {
      run.settle(order, 'timeout', { error: 'terminal:timeout' });
      return order;
    }
    if (!(await pause(Math.min(jitter(wait), left), abandon))) break;
    wait = Math.min(wait * POLL_BACKOFF, settings.pollMaxMs);
    if (elapsed() >= settings.deadlineMs) continue;

    const pollContext = settings.tracePolls ? traceContext : pollTraceContext(traceContext);
    const answer = await deps.polls.run(() => client.readOrder(orderId, pollContext), abandon);
    if (!answer || abandon.aborted) break;
    run.polled();
    if (answer.kind !== 'answer' || answer.status !== 200) {
      run.error(errorKind('poll', answer));
      continue;
    }
    if (!answer.body) {
      run.error('poll:bad-body');
      continue;
    }
    order.status = answer.body.status;
    const terminal = terminalStatusOf(answer.body.status);
    if (terminal) {
      const sagaMs = sagaDuration(answer.body.history);
      run.settle(order, terminal, { terminalMs: elapsed(), ...(sagaMs !== undefined ? { sagaMs } : {}) });
      return order;
    }
  }
  run.settle(order, 'abandoned', { error: 'terminal:abandoned' });
  return order;
}
