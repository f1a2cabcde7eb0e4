/**
 * The business metrics each service owns, read back from an in-memory meter: payment-sim's
 * `payment.authorized` per line and outcome, the analytics KPI instruments (recorded only once the
 * consumer's transaction has committed), and the Temporal Runtime's OTLP metrics settings.
 */
import { randomUUID } from 'node:crypto';
import { metrics as metricsApi } from '@opentelemetry/api';
import { metrics } from '@opentelemetry/sdk-node';
import test from 'ava';
import { kpisOf } from '../../consumers/analytics/kpi-metrics.js';
import { cardFactsOf, PaymentSimulator } from '../../payment-sim/simulator.js';
import { demoCards } from '../../platform/contracts/demo-triggers.js';
import { buildEvent } from '../../platform/events/envelope.js';
import { metricNames } from '../../platform/telemetry/metrics.js';
import { shareResourceWithTemporalCore, temporalTelemetryOptions } from '../../platform/telemetry/temporal-metrics.js';
import { sampleEventData } from '../support/fixtures.js';

const metricReader = new (class extends metrics.MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
})();
metricsApi.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [metricReader] }));

type Point = { attributes: Record<string, unknown>; value: unknown };
async function points(name: string): Promise<Point[]> {
  const { resourceMetrics } = await metricReader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value }));
}
async function sum(name: string, matches: (attributes: Record<string, unknown>) => boolean): Promise<number> {
  return (await points(name)).filter((point) => matches(point.attributes)).reduce((total, point) => total + (point.value as number), 0);
}
/** How many values a histogram holds for the matching attributes. */
async function recorded(name: string, matches: (attributes: Record<string, unknown>) => boolean): Promise<number[]> {
  return (await points(name))
    .filter((point) => matches(point.attributes))
    .map((point) => (point.value as { count: number; sum: number }).count);
}

test.serial('payment-sim counts payment.authorized per line and outcome, where it decides', async (t) => {
  const simulator = new PaymentSimulator();
  const request = (cardNumber: string) => ({
    orderId: randomUUID(),
    amountMinor: 10_000,
    currency: 'KRW' as const,
    card: cardFactsOf(cardNumber),
    installmentMonths: 0,
  });
  const before = {
    httpApproved: await sum(metricNames.paymentAuthorized, (a) => a.channel === 'http' && a.outcome === 'approved'),
    tcpDeclined: await sum(metricNames.paymentAuthorized, (a) => a.channel === 'tcp' && a.outcome === 'declined'),
    tcpRepeated: await sum(metricNames.paymentAuthorized, (a) => a.channel === 'tcp' && a.outcome === 'repeated'),
  };
  simulator.authorize(request(demoCards.approved), 'http');
  simulator.authorize(request(demoCards.approved), 'http');
  simulator.authorize(request(demoCards.declined), 'tcp');
  const again = request(demoCards.approved);
  simulator.authorize(again, 'tcp');
  simulator.authorize(again, 'tcp'); // the same order's approval answered again: not a second approval
  t.is(await sum(metricNames.paymentAuthorized, (a) => a.channel === 'http' && a.outcome === 'approved'), before.httpApproved + 2);
  t.is(await sum(metricNames.paymentAuthorized, (a) => a.channel === 'tcp' && a.outcome === 'declined'), before.tcpDeclined + 1);
  t.is(await sum(metricNames.paymentAuthorized, (a) => a.channel === 'tcp' && a.outcome === 'repeated'), before.tcpRepeated + 1);
});

test.serial('analytics records the KPI instruments only when the after-commit step runs', async (t) => {
  const data = sampleEventData();
  const completed = buildEvent({ type: 'order.v1.completed', source: 'test', data: data['order.v1.completed'] });
  const outcomes = () => sum(metricNames.orderOutcomes, (a) => a['order.status'] === 'COMPLETED' && a['payment.channel'] === 'http');
  const revenue = () => sum(metricNames.orderRevenue, (a) => a.currency === 'KRW');
  const before = { outcomes: await outcomes(), revenue: await revenue() };

  const afterCommit = kpisOf(completed, 'http');
  t.is(await outcomes(), before.outcomes, 'nothing is counted before the commit');
  afterCommit!();
  t.is(await outcomes(), before.outcomes + 1);
  t.is(await revenue(), before.revenue + data['order.v1.completed'].amountMinor);
  t.true((await recorded(metricNames.orderSagaDuration, (a) => a['order.status'] === 'COMPLETED')).reduce((x, y) => x + y, 0) >= 1);
});

test.serial('analytics records payment outcomes, delivery time and refunds; internal steps record nothing', async (t) => {
  const data = sampleEventData();
  const event = <T extends keyof typeof data>(type: T) => buildEvent({ type, source: 'test', data: data[type] });
  const declined = () => sum(metricNames.orderPaymentOutcomes, (a) => a['payment.channel'] === 'tcp' && a.outcome === 'declined');
  const refunded = () => sum(metricNames.orderOutcomes, (a) => a['order.status'] === 'REFUNDED');
  const before = { declined: await declined(), refunded: await refunded() };
  kpisOf(event('order.v1.payment_declined'), 'tcp')!();
  kpisOf(event('order.v1.refunded'), 'http')!();
  kpisOf(event('fulfillment.v1.delivered'), 'http')!();
  t.is(await declined(), before.declined + 1);
  t.is(await refunded(), before.refunded + 1);
  const [delivery] = (await points(metricNames.shipmentDeliveryDuration)).filter((point) => point.attributes.carrier === 'cj-logistics');
  t.truthy(delivery, 'the delivery time is recorded per carrier');
  // scheduled 09:31:00, delivered 09:31:15 (test/support/fixtures.ts)
  t.true((delivery!.value as { sum: number }).sum >= 15);
  t.is(kpisOf(event('inventory.v1.reserved'), 'http'), undefined);
  t.is(kpisOf(event('fulfillment.v1.shipped'), 'http'), undefined);
});

test('the Temporal Runtime exports metrics over OTLP only for a service process whose metrics go over OTLP', (t) => {
  t.deepEqual(temporalTelemetryOptions({}), {}, 'a test process (no OTEL_SERVICE_NAME) exports nothing');
  t.deepEqual(temporalTelemetryOptions({ OTEL_SERVICE_NAME: 'order', OTEL_METRICS_EXPORTER: 'none' }), {});
  const http = temporalTelemetryOptions({ OTEL_SERVICE_NAME: 'order', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
  t.like(http, { metrics: { otel: { url: 'http://collector:4318/v1/metrics', http: true, useSecondsForDurations: true } } });
  const grpc = temporalTelemetryOptions({ OTEL_SERVICE_NAME: 'order', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  t.like(grpc, { metrics: { otel: { url: 'http://localhost:4317', http: false } } });
  const own = temporalTelemetryOptions({ OTEL_SERVICE_NAME: 'order', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:4318/v1/metrics' });
  t.like(own, { metrics: { otel: { url: 'http://m:4318/v1/metrics' } } });
});

test("the Temporal core's resource gets ours, and the deployment's own attributes win", (t) => {
  const env: NodeJS.ProcessEnv = { OTEL_SERVICE_NAME: 'fulfillment', OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.uid=abc,service.version=9.9.9' };
  shareResourceWithTemporalCore(env);
  const entries = env.OTEL_RESOURCE_ATTRIBUTES!.split(',');
  t.true(entries.includes('k8s.pod.uid=abc'));
  t.true(entries.includes('service.version=9.9.9'));
  t.is(entries.filter((entry) => entry.startsWith('service.version=')).length, 1);
  t.true(entries.includes('service.namespace=ordersaga'));
  t.true(entries.some((entry) => entry.startsWith('service.instance.id=')));
  const none: NodeJS.ProcessEnv = {};
  shareResourceWithTemporalCore(none);
  t.is(none.OTEL_RESOURCE_ATTRIBUTES, undefined);
});
