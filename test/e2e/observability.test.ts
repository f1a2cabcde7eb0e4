/**
 * The observability proof, against the running estate and the suite's OTLP receiver
 * (infra/local/test.sh starts it before the services and points every service's exporters at it).
 *
 * A mixed batch (every saga path, both payment channels) goes through the gateway, each order with
 * a `traceparent` of its own. Afterwards each order's trace must be one connected tree (rooted at
 * the gateway's span, under the test's own parent id) that crosses every service its path touches,
 * the virtual nodes included; the share of such orders is reported and must be 100%. Then the peer
 * names of exit spans, the Kafka conventions, the metric names and attributes (the services' own,
 * the analytics KPIs, payment-sim's `payment.authorized` and the Temporal SDK's), and logs over OTLP.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { serviceNames } from '../../infra/estate.js';
import { config } from '../../platform/config.js';
import { consumerGroupId } from '../../platform/events/naming.js';
import { isTerminal, type OrderRequest, type OrderStatus, type PaymentChannel } from '../../platform/contracts/order.js';
import { orderWorkflowType } from '../../platform/contracts/workflow.js';
import { poolMetricNames } from '../../platform/telemetry/db-pool-metrics.js';
import { metricNames } from '../../platform/telemetry/metrics.js';
import { asAdmin, asCustomer, databaseNameOf, eventually, gatewayUrl, stockTestProduct } from '../support/estate.js';
import { OtlpReceiverClient, otlpReceiverUrl } from '../support/otlp-client.js';
import type { ReceivedMetricPoint, ReceivedSpan } from '../support/otlp-receiver.js';
import { analyseTree, renderTree, type TreeReport } from '../support/otlp-traces.js';

const receiver = new OtlpReceiverClient();
const SERVICES = serviceNames;
const NODES = ['payment-validation', 'payment-risk', 'payment-pricing'];
const ORDERS_PER_PATH_AND_CHANNEL = 3;

type Path = 'completed' | 'declined' | 'insufficient-funds' | 'out-of-stock' | 'undeliverable' | 'gateway-errors' | 'cancel';
const paths: Path[] = ['completed', 'declined', 'insufficient-funds', 'out-of-stock', 'undeliverable', 'gateway-errors', 'cancel'];

const edge = ['gateway', 'order', 'analytics', 'notification'];
const paid = [...edge, 'inventory', ...NODES, 'payment-sim'];
/** The services whose spans each path's trace must contain. */
const expectedServices: Record<Path, string[]> = {
  completed: [...paid, 'fulfillment'],
  declined: paid,
  'insufficient-funds': paid,
  'out-of-stock': [...edge, 'inventory'],
  undeliverable: [...paid, 'fulfillment'],
  'gateway-errors': paid,
  // cancelled at once: how far the saga got before the cancel landed varies
  cancel: edge,
};
const expectedStatus: Record<Path, OrderStatus[]> = {
  completed: ['COMPLETED'],
  declined: ['PAYMENT_DECLINED'],
  'insufficient-funds': ['PAYMENT_DECLINED'],
  'out-of-stock': ['REJECTED'],
  undeliverable: ['FAILED'],
  'gateway-errors': ['FAILED'],
  cancel: ['CANCELLED', 'COMPLETED'],
};
const cards: Partial<Record<Path, string>> = {
  declined: '4000000000000002',
  'insufficient-funds': '4000000000009995',
  'gateway-errors': '4000000000000119',
};

interface SubmittedOrder {
  orderId: string;
  path: Path;
  channel: PaymentChannel;
  traceId: string;
  clientSpanId: string;
  status?: OrderStatus;
}

interface OrderTrace {
  order: SubmittedOrder;
  spans: ReceivedSpan[];
  tree: TreeReport;
  missing: string[];
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A status read that joins the order's trace id but is not sampled, so polling adds no spans to it. */
async function readStatus(order: SubmittedOrder): Promise<OrderStatus | undefined> {
  const response = await fetch(`${gatewayUrl}/orders/${order.orderId}`, {
    headers: { traceparent: `00-${order.traceId}-${hex(8)}-00`, ...(await asAdmin()) },
  });
  if (!response.ok) return undefined;
  return ((await response.json()) as { status: OrderStatus }).status;
}

/**
 * The trace is complete when every hop has both ends: the workflow's own span (it ends last, with
 * the saga), an execution under every activity the workflow started, a SERVER span under every call
 * to one of our services or virtual nodes, and a processing span of both consumer groups under
 * every event published. Until then spans may still be in some exporter's batch.
 */
const CALLED = new Set(['payment-sim', 'order', 'inventory', ...NODES]);
/** What the trace still waits for; empty when it looks complete. */
function stillMissing(spans: readonly ReceivedSpan[]): string[] {
  if (!spans.some((span) => span.name === `RunWorkflow:${orderWorkflowType}`)) return [`RunWorkflow:${orderWorkflowType}`];
  const childrenOf = new Map<string, ReceivedSpan[]>();
  for (const span of spans) if (span.parentSpanId) childrenOf.set(span.parentSpanId, [...(childrenOf.get(span.parentSpanId) ?? []), span]);
  const children = (span: ReceivedSpan) => childrenOf.get(span.spanId) ?? [];
  return spans.flatMap((span) => {
    // An activity the saga cancelled before a worker took it never ran: its start span ends in error.
    if (span.name.startsWith('StartActivity:') && span.status.code !== 'ERROR') {
      const run = `RunActivity:${span.name.slice('StartActivity:'.length)}`;
      return children(span).some((child) => child.name === run) ? [] : [run];
    }
    if (span.kind === 'CLIENT' && CALLED.has(String(span.attributes['peer.service']))) {
      return children(span).some((child) => child.kind === 'SERVER') ? [] : [`${span.attributes['peer.service']} SERVER ${span.name}`];
    }
    if (span.kind === 'PRODUCER') {
      return ['analytics', 'notification']
        .filter((group) => !children(span).some((child) => child.kind === 'CONSUMER' && child.service === group))
        .map((group) => `${group} CONSUMER ${span.name}`);
    }
    return [];
  });
}

let batch: OrderTrace[] = [];
let skus: { plentiful: string; scarce: string };

test.before('a mixed batch through the gateway, each order with a trace of its own', async (t) => {
  t.timeout(300_000);
  // The services must be exporting here, or nothing below can be seen.
  await eventually(
    `every service to export metrics to the OTLP receiver at ${otlpReceiverUrl} (are they running under make test?)`,
    async () => {
      const { services } = await receiver.status();
      return SERVICES.every((service) => services.metrics.includes(service) || services.traces.includes(service)) ? true : undefined;
    },
    60_000,
    500,
  );

  skus = { plentiful: await stockTestProduct(10_000, 21_000), scarce: await stockTestProduct(1, 40_000) };
  const tag = hex(3);
  const plan = paths.flatMap((path) =>
    (['http', 'tcp'] as const).flatMap((channel) => Array.from({ length: ORDERS_PER_PATH_AND_CHANNEL }, () => ({ path, channel }))),
  );

  function orderFor(path: Path, channel: PaymentChannel, index: number): OrderRequest {
    return {
      customerId: `obs-${tag}-${index % 5}`,
      items: path === 'out-of-stock' ? [{ sku: skus.scarce, quantity: 3 }] : [{ sku: skus.plentiful, quantity: 1 + (index % 2) }],
      payment: { channel, cardNumber: cards[path] ?? '4242424242424242' },
      shippingAddress:
        index % 2 === 0
          ? { name: '김민준', line1: '세종대로 110', city: '서울', postalCode: path === 'undeliverable' ? '00000' : '04524', country: 'KR' }
          : {
              name: 'Sam Lee',
              line1: '1 Market St',
              city: 'San Francisco',
              postalCode: path === 'undeliverable' ? '99999' : '94105',
              country: 'US',
            },
    };
  }

  const submitted: SubmittedOrder[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let index = next++; index < plan.length; index = next++) {
        const { path, channel } = plan[index]!;
        const traceId = hex(16);
        const clientSpanId = hex(8);
        const request = orderFor(path, channel, index);
        const response = await fetch(`${gatewayUrl}/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            traceparent: `00-${traceId}-${clientSpanId}-01`,
            ...(await asCustomer(request.customerId)),
          },
          body: JSON.stringify(request),
        });
        const body = (await response.json()) as { orderId: string };
        if (response.status !== 202) throw new Error(`order ${index} (${path}) answered ${response.status}: ${JSON.stringify(body)}`);
        const order: SubmittedOrder = { orderId: body.orderId, path, channel, traceId, clientSpanId };
        submitted.push(order);
        if (path === 'cancel') {
          // A request of its own, in a trace of its own: the order's trace is the saga's.
          await fetch(`${gatewayUrl}/orders/${order.orderId}/cancel`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(await asCustomer(request.customerId)) },
            body: '{}',
          });
        }
      }
    }),
  );

  for (const order of submitted) {
    order.status = await eventually(
      `order ${order.orderId} (${order.path}) to end`,
      async () => {
        const status = await readStatus(order);
        return status && isTerminal(status) ? status : undefined;
      },
      120_000,
      250,
    );
  }

  // Each trace, once complete (or at the deadline: a trace that never completes is judged as it is).
  batch = [];
  const settleDeadline = Date.now() + 90_000;
  const incomplete: string[] = [];
  for (const order of submitted) {
    let spans = await receiver.trace(order.traceId);
    while (stillMissing(spans).length > 0 && Date.now() < settleDeadline) {
      await sleep(250);
      spans = await receiver.trace(order.traceId);
    }
    const waiting = stillMissing(spans);
    if (waiting.length > 0) incomplete.push(`${order.path}/${order.channel} ${order.traceId}: ${waiting.join(', ')}`);
    const tree = analyseTree(spans, { externalParentSpanId: order.clientSpanId });
    batch.push({ order, spans, tree, missing: expectedServices[order.path].filter((service) => !tree.services.includes(service)) });
  }
  if (incomplete.length > 0) t.log(`traces still waiting for spans at the deadline:\n${incomplete.join('\n')}`);

  // One request to each service's own API (through the gateway), so every HTTP server has RED metrics.
  const someOrderId = submitted[0]!.orderId;
  for (const path of [
    '/inventory',
    `/shipments?orderId=${someOrderId}`,
    '/analytics/kpis',
    `/notifications?customerId=obs-${tag}-0`,
    `/orders/${someOrderId}`,
  ]) {
    // An admin: the KPIs and shipment reads across customers are for admins.
    const response = await fetch(`${gatewayUrl}${path}`, { headers: await asAdmin() });
    if (response.status >= 500) throw new Error(`GET ${path} answered ${response.status}`);
  }
});

test('every order of the batch ended as its path says', (t) => {
  const wrong = batch
    .filter(({ order }) => !expectedStatus[order.path].includes(order.status!))
    .map(({ order }) => `${order.path}/${order.channel}: ${order.status}`);
  t.deepEqual(wrong, []);
  t.is(batch.length, paths.length * 2 * ORDERS_PER_PATH_AND_CHANNEL);
});

test('100% of the orders are one connected trace across every service their path crosses', (t) => {
  const good = batch.filter(({ tree, missing }) => tree.connected && missing.length === 0);
  const share = (100 * good.length) / batch.length;
  t.log(`connected-tree share: ${good.length}/${batch.length} orders = ${share.toFixed(1)}%`);
  const spans = batch.map(({ spans }) => spans.length).sort((a, b) => a - b);
  t.log(`spans per order: min ${spans[0]}, median ${spans[Math.floor(spans.length / 2)]}, max ${spans[spans.length - 1]}`);
  const failures = batch
    .filter((entry) => !good.includes(entry))
    .map(({ order, tree, missing }) => ({
      order: `${order.path}/${order.channel} ${order.orderId} trace ${order.traceId}`,
      connected: tree.connected,
      roots: tree.roots.map((span) => `${span.service} ${span.kind} ${span.name} (parent ${span.parentSpanId ?? 'none'})`),
      missing,
    }));
  if (failures.length > 0) {
    const first = batch.find((entry) => !good.includes(entry))!;
    t.log(`first failing trace:\n${renderTree(first.spans)}`);
  }
  t.deepEqual(failures, []);
  t.is(share, 100);
});

test('the tree has the expected shape: gateway → order API → workflow start → workflow → activities → payment lines and Kafka → consumers', (t) => {
  const completed = batch.filter(({ order }) => order.path === 'completed');
  t.true(completed.length > 0);
  for (const { order, spans, tree } of completed) {
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan | undefined) => (span?.parentSpanId ? byId.get(span.parentSpanId) : undefined);
    const one = (predicate: (span: ReceivedSpan) => boolean, what: string) => {
      const found = spans.find(predicate);
      t.truthy(found, `${order.orderId}: ${what}`);
      return found;
    };
    t.like(tree.root, { service: 'gateway', kind: 'SERVER', name: 'POST /orders' });
    const api = one((span) => span.service === 'order' && span.kind === 'SERVER' && span.name === 'POST /orders', 'the order API span');
    t.is(parentOf(parentOf(api))?.spanId, tree.root?.spanId, 'order API ← gateway CLIENT ← gateway SERVER');
    const start = one((span) => span.name === `StartWorkflow:${orderWorkflowType}`, 'the workflow start');
    t.is(start?.kind, 'CLIENT');
    t.is(parentOf(start)?.spanId, api?.spanId, 'the start is a child of the order API request');
    const run = one((span) => span.name === `RunWorkflow:${orderWorkflowType}`, 'the workflow');
    t.is(parentOf(run)?.spanId, start?.spanId);
    for (const activity of ['reserveStock', 'preparePayment', 'authorizePayment', 'scheduleShipment']) {
      const execution = one((span) => span.name === `RunActivity:${activity}`, `RunActivity:${activity}`);
      t.is(execution?.kind, 'SERVER');
      t.is(parentOf(execution)?.name, `StartActivity:${activity}`);
      t.is(parentOf(parentOf(execution))?.spanId, run?.spanId);
    }
    const paymentSpan = order.channel === 'tcp' ? 'PaymentTelegram/Approve' : 'POST /payments/authorize';
    const sim = one(
      (span) => span.service === 'payment-sim' && span.kind === 'SERVER' && span.name === paymentSpan,
      `payment-sim ${paymentSpan}`,
    );
    const exit = parentOf(sim);
    t.is(exit?.kind, 'CLIENT');
    t.is(exit?.service, 'order');
    t.is(exit?.attributes['peer.service'], 'payment-sim');
    if (order.channel === 'tcp') t.is(exit?.name, 'PaymentTelegram/Approve', 'the TCP hop: traceparent travelled in the telegram');
    for (const consumer of spans.filter((span) => span.kind === 'CONSUMER')) {
      t.is(parentOf(consumer)?.kind, 'PRODUCER', `${consumer.service} ${consumer.name} is a child of its producer span`);
    }
  }
  t.log(
    `one completed order (${completed[0]!.order.channel}), TCP connects left out:\n${renderTree(completed[0]!.spans, { omit: (span) => span.name.startsWith('tcp.connect') })}`,
  );
});

test('the three payment-preparation steps are virtual service nodes: caller CLIENT span naming the node, node SERVER span under its own service name', (t) => {
  const prepared = batch.filter(({ order }) => ['completed', 'declined', 'undeliverable'].includes(order.path));
  for (const { order, spans } of prepared) {
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (const [node, method] of [
      ['payment-validation', 'validateCard'],
      ['payment-risk', 'screenRisk'],
      ['payment-pricing', 'quotePrice'],
    ] as const) {
      const entry = spans.find((span) => span.service === node);
      t.like(entry, { kind: 'SERVER', name: method }, `${order.orderId}: ${node}`);
      t.is(entry?.resource['service.namespace'], 'ordersaga');
      const exit = entry?.parentSpanId ? byId.get(entry.parentSpanId) : undefined;
      t.like(exit, { service: 'order', kind: 'CLIENT', name: method, attributes: { 'peer.service': node, 'service.peer.name': node } });
      const activity = exit?.parentSpanId ? byId.get(exit.parentSpanId) : undefined;
      t.is(activity?.name, 'RunActivity:preparePayment');
    }
  }
});

test('every exit span names its peer: Kafka, each database, the payment simulator, the services and Temporal; database spans carry db.system', (t) => {
  const spans = batch.flatMap((entry) => entry.spans);
  const exits = spans.filter((span) => span.kind === 'CLIENT' || span.kind === 'PRODUCER');
  const unnamed = exits.filter(
    (span) => !span.attributes['peer.service'] || span.attributes['peer.service'] !== span.attributes['service.peer.name'],
  );
  t.deepEqual(
    unnamed.map((span) => `${span.service} ${span.kind} ${span.name}`),
    [],
  );
  const peers = new Set(exits.map((span) => String(span.attributes['peer.service'])));
  const env = config();
  // named after the databases the services use (`orders-db`, or `orders_test-db` under `make test`)
  const databases = [
    env.ORDER_DATABASE_URL,
    env.INVENTORY_DATABASE_URL,
    env.FULFILLMENT_DATABASE_URL,
    env.ANALYTICS_DATABASE_URL,
    env.NOTIFICATION_DATABASE_URL,
  ].map((url) => `${databaseNameOf(url)}-db`);
  for (const peer of ['kafka', ...databases, 'payment-sim', 'order', 'inventory', 'temporal', ...NODES]) {
    t.true(peers.has(peer), `an exit span names ${peer}`);
  }
  const databaseSpans = spans.filter((span) => span.attributes['db.name'] !== undefined || span.attributes['db.statement'] !== undefined);
  t.true(databaseSpans.length > 0);
  t.deepEqual([...new Set(databaseSpans.map((span) => span.attributes['db.system']))], ['postgresql']);
});

test('Kafka spans follow the messaging conventions; consumer spans are children of their producer spans', (t) => {
  const spans = batch.flatMap((entry) => entry.spans);
  const producers = spans.filter((span) => span.kind === 'PRODUCER');
  const consumers = spans.filter((span) => span.kind === 'CONSUMER');
  t.true(producers.length > 0 && consumers.length >= producers.length);
  for (const producer of producers) {
    t.like(producer.attributes, { 'messaging.system': 'kafka', 'messaging.operation.type': 'send' });
    t.is(producer.name, `send ${producer.attributes['messaging.destination.name']}`);
    t.regex(String(producer.attributes['cloudevents.event_type']), /^[a-z]+\.v\d+\.[a-z_]+$/);
  }
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  for (const consumer of consumers) {
    t.like(consumer.attributes, { 'messaging.system': 'kafka', 'messaging.operation.type': 'process' });
    // the gateway's live order feed reads in a group of its own per process (gateway/live-orders.ts)
    const group = String(consumer.attributes['messaging.consumer.group.name']);
    if (consumer.service === 'gateway') t.true(group.startsWith(consumerGroupId('gateway-live.')), group);
    else t.is(group, consumerGroupId(consumer.service));
    t.not(consumer.attributes['messaging.destination.partition.id'], undefined);
    t.is(typeof consumer.attributes['messaging.kafka.offset'], 'number');
    const producer = consumer.parentSpanId ? byId.get(consumer.parentSpanId) : undefined;
    t.is(producer?.kind, 'PRODUCER');
    t.is(producer?.attributes['messaging.message.id'], consumer.attributes['messaging.message.id']);
  }
});

function sum(points: readonly ReceivedMetricPoint[], filter: (attributes: ReceivedMetricPoint['attributes']) => boolean): number {
  return points.filter((point) => filter(point.attributes)).reduce((total, point) => total + (point.value ?? point.count ?? 0), 0);
}

/** What the metrics lack for this batch; empty when every expectation holds. */
function metricProblems(metrics: readonly ReceivedMetricPoint[]): string[] {
  const problems: string[] = [];
  const expect = (holds: boolean, what: string) => {
    if (!holds) problems.push(what);
  };
  const count = (path: Path, channel?: PaymentChannel) =>
    batch.filter(({ order }) => order.path === path && (!channel || order.channel === channel)).length;
  const named = (name: string) => metrics.filter((point) => point.name === name);
  const seriesOf = (name: string, key: string) => new Set(named(name).map((point) => String(point.attributes[key])));
  // Counters are cumulative since each service started, so they hold at least this batch.
  for (const channel of ['http', 'tcp'] as const) {
    expect(
      sum(named(metricNames.ordersCreated), (a) => a['payment.channel'] === channel) >= batch.length / 2,
      `orders.created{payment.channel=${channel}} counts the batch`,
    );
    expect(
      sum(named(metricNames.orderCompleted), (a) => a['payment.channel'] === channel) >= count('completed', channel),
      `order.completed{payment.channel=${channel}}`,
    );
    for (const outcome of ['approved', 'declined', 'error'] as const) {
      // The gateway's own count, as the design draws it (P->>INS), and the merchant's beside it.
      expect(
        sum(
          named(metricNames.paymentAuthorized).filter((point) => point.service === 'payment-sim'),
          (a) => a.channel === channel && a.outcome === outcome,
        ) > 0,
        `payment.authorized{channel=${channel}, outcome=${outcome}} from payment-sim`,
      );
      expect(
        sum(
          named(metricNames.paymentClientAuthorizations).filter((point) => point.service === 'order'),
          (a) => a.channel === channel && a.outcome === outcome,
        ) > 0,
        `payment.client.authorizations{channel=${channel}, outcome=${outcome}} from the order service`,
      );
    }
  }
  expect(
    named(metricNames.paymentAuthorized).every((point) => point.service === 'payment-sim'),
    'payment.authorized is counted by payment-sim alone',
  );
  // The business KPIs, exported by analytics (consumers/analytics/kpi-metrics.ts).
  const fromAnalytics = (name: string) => named(name).filter((point) => point.service === 'analytics');
  for (const status of ['COMPLETED', 'PAYMENT_DECLINED', 'REJECTED', 'FAILED', 'CANCELLED']) {
    expect(
      fromAnalytics(metricNames.orderOutcomes).some((point) => point.attributes['order.status'] === status),
      `analytics: order.outcomes{order.status=${status}}`,
    );
  }
  expect(sum(fromAnalytics(metricNames.orderRevenue), (a) => a.currency === 'KRW') > 0, 'analytics: order.revenue{currency=KRW}');
  for (const channel of ['http', 'tcp'] as const) {
    expect(
      fromAnalytics(metricNames.orderPaymentOutcomes).some(
        (point) => point.attributes['payment.channel'] === channel && point.attributes.outcome === 'declined',
      ),
      `analytics: order.payment.outcomes{payment.channel=${channel}, outcome=declined}`,
    );
    expect(
      fromAnalytics(metricNames.orderPaymentDeclineRatio).some(
        (point) => point.kind === 'gauge' && point.attributes['payment.channel'] === channel && point.value! > 0 && point.value! < 1,
      ),
      `analytics: order.payment.decline_ratio{payment.channel=${channel}} between 0 and 1`,
    );
  }
  expect(
    fromAnalytics(metricNames.orderSagaDuration).some(
      (point) => point.kind === 'histogram' && point.unit === 's' && point.attributes['order.status'] === 'COMPLETED',
    ),
    'analytics: order.saga.duration{order.status=COMPLETED}, a histogram in seconds',
  );
  // The batch's completed orders are delivered on the dev carrier clock (seconds), well inside the wait.
  expect(
    fromAnalytics(metricNames.shipmentDeliveryDuration).some(
      (point) => point.kind === 'histogram' && point.unit === 's' && point.attributes.carrier === 'cj-logistics',
    ),
    'analytics: shipment.delivery.duration{carrier=cj-logistics}',
  );
  // The Temporal SDK's own metrics, from each worker under its own service (platform/telemetry/temporal-metrics.ts).
  for (const service of ['order', 'inventory', 'fulfillment']) {
    const temporal = metrics.filter((point) => point.service === service && point.name.startsWith('temporal_'));
    expect(
      temporal.some((point) => point.name === 'temporal_worker_task_slots_available'),
      `${service}: temporal_worker_task_slots_available (Temporal SDK)`,
    );
    expect(
      temporal.some((point) => point.name === 'temporal_activity_schedule_to_start_latency'),
      `${service}: temporal_activity_schedule_to_start_latency (Temporal SDK)`,
    );
  }
  for (const service of ['order', 'fulfillment']) {
    expect(
      metrics.some((point) => point.service === service && point.name === 'temporal_workflow_task_schedule_to_start_latency'),
      `${service}: temporal_workflow_task_schedule_to_start_latency (Temporal SDK)`,
    );
  }
  expect(
    named(metricNames.ordersCreated).every((point) => point.service === 'order' && point.kind === 'sum' && point.unit === '{order}'),
    'orders.created is a counter of the order service',
  );
  expect(
    sum(named(metricNames.inventoryReserved), (a) => a.outcome === 'rejected') >= count('out-of-stock'),
    'inventory.reserved{outcome=rejected} counts the out-of-stock orders',
  );
  expect(
    sum(named(metricNames.inventoryReserved), (a) => a.outcome === 'reserved') >= count('completed'),
    'inventory.reserved{outcome=reserved}',
  );
  expect(
    sum(named(metricNames.fulfillmentScheduled), () => true) >= count('completed') &&
      seriesOf(metricNames.fulfillmentScheduled, 'carrier').has('cj-logistics'),
    'fulfillment.scheduled{carrier}',
  );
  expect(
    named(metricNames.orderDuration).every((point) => point.kind === 'histogram' && point.unit === 's'),
    'order.duration is a histogram in seconds',
  );
  for (const status of ['COMPLETED', 'PAYMENT_DECLINED', 'REJECTED', 'FAILED', 'CANCELLED']) {
    expect(seriesOf(metricNames.orderDuration, 'order.status').has(status), `order.duration{order.status=${status}}`);
  }
  expect(seriesOf(metricNames.orderCompensations, 'compensation').has('release_stock'), 'order.compensations{compensation=release_stock}');
  for (const reason of ['payment_declined', 'undeliverable_address', 'payment_gateway_error']) {
    expect(seriesOf(metricNames.orderCompensations, 'reason').has(reason), `order.compensations{reason=${reason}}`);
  }
  expect(
    seriesOf(metricNames.notificationSent, 'event.type').has('order.v1.completed') &&
      seriesOf(metricNames.notificationSent, 'channel').has('email'),
    'notification.sent{channel, event.type}',
  );
  for (const service of SERVICES) {
    const red = named(metricNames.httpServerDuration).filter((point) => point.service === service && point.kind === 'histogram');
    expect(
      red.some((point) => point.attributes['http.route'] !== undefined && point.attributes['http.status_code'] !== undefined),
      `${service}: http.server.duration{http.route, http.status_code}`,
    );
  }
  expect(seriesOf(metricNames.httpServerDuration, 'http.route').has('/orders'), 'http.server.duration{http.route=/orders}');
  const rpc = named(metricNames.rpcServerDuration).filter((point) => point.service === 'payment-sim');
  expect(
    rpc.some((point) => point.attributes['rpc.method'] === 'Approve' && point.attributes['ordersaga.telegram.response_code'] === '0000'),
    'rpc.server.duration{rpc.method=Approve} from payment-sim',
  );
  expect(
    rpc.some((point) => point.attributes['error.type'] === '0096'),
    'rpc.server.duration{error.type=0096}: the TCP line reports its errors',
  );
  // Connection pools, read from each pool once per export (platform/telemetry/db-pool-metrics.ts).
  const pools = named(poolMetricNames.connectionCount);
  for (const [service, pool] of [
    ['order', 'orders'],
    ['inventory', 'inventory'],
    ['analytics', 'analytics'],
    ['notification', 'notifications'],
  ] as const) {
    const points = pools.filter((point) => point.service === service && point.attributes['db.client.connection.pool.name'] === pool);
    expect(
      ['idle', 'used'].every((state) =>
        points.some((point) => point.attributes['db.client.connection.state'] === state && point.value! >= 0),
      ),
      `${service}: db.client.connection.count{pool.name=${pool}, state=idle|used}`,
    );
  }
  expect(
    named(poolMetricNames.pendingRequests).some(
      (point) => point.service === 'order' && point.attributes['db.client.connection.pool.name'] === 'orders' && point.value! >= 0,
    ),
    'order: db.client.connection.pending_requests{pool.name=orders}',
  );
  expect(named('db.client.operation.duration').length === 0, 'no per-query duration metric (dropped for its cost)');
  const lag = named(metricNames.consumerLag);
  const groups = new Set(lag.map((point) => point.attributes['messaging.consumer.group.name']));
  expect(
    groups.has(consumerGroupId('analytics')) && groups.has(consumerGroupId('notification')) && groups.size === 2,
    'messaging.kafka.consumer.lag for both groups',
  );
  expect(
    lag.every((point) => point.kind === 'gauge' && typeof point.attributes['messaging.destination.name'] === 'string' && point.value! >= 0),
    'lag by topic, never negative',
  );
  return problems;
}

test('business, RED and lag metrics arrive with their names and attributes', async (t) => {
  t.timeout(120_000);
  let problems: string[] = ['no metrics read yet'];
  const deadline = Date.now() + 60_000;
  while (problems.length > 0 && Date.now() < deadline) {
    problems = metricProblems(await receiver.metrics());
    if (problems.length > 0) await sleep(1_000);
  }
  t.deepEqual(problems, []);
  const names = [...new Set((await receiver.metrics()).map((point) => point.name))].sort();
  t.log(`metric names: ${names.join(', ')}`);
});

test('logs go out over OTLP from every service, with the trace and span ids of the span they were written in', async (t) => {
  const { services } = await receiver.status();
  t.deepEqual(
    SERVICES.filter((service) => !services.logs.includes(service)),
    [],
  );
  // The order service logs each order's end inside the activity that records it.
  for (const { order, spans } of batch.filter(({ order }) => order.path === 'completed')) {
    const record = await eventually(
      `the log line of order ${order.orderId}'s end`,
      async () => (await receiver.logs({ traceId: order.traceId })).find((entry) => entry.body === 'order COMPLETED'),
      20_000,
      250,
    );
    t.like(record, { service: 'order', severityText: 'INFO', attributes: { orderId: order.orderId, component: 'order' } });
    t.is(spans.find((span) => span.spanId === record.spanId)?.name, 'RunActivity:recordOrderTransition');
  }
});
