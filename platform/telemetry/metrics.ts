/**
 * Every metric the estate defines, named once. Business metrics are counted where the business
 * event happens (the activity or the consumer that makes it true); the names follow the original
 * design. Attribute values are small fixed sets, never ids, so no series explodes.
 *
 * | metric | kind | unit | attributes | counted in |
 * |---|---|---|---|---|
 * | `orders.created` | counter | {order} | `payment.channel` | order activity `recordOrderAccepted` |
 * | `inventory.reserved` | counter | {reservation} | `outcome` (reserved, rejected) | inventory activity `reserveStock` |
 * | `payment.authorized` | counter | {authorization} | `channel` (http, tcp), `outcome` (approved, repeated, declined, refused, error) | payment-sim, where each authorization is decided (payment-sim/simulator.ts), once per request that reaches a decision: the gateway's own count, as the original design draws it |
 * | `payment.client.authorizations` | counter | {authorization} | `channel` (http, tcp), `outcome` (approved, declined, error) | the order service's payment clients (activities/payment/http-gateway.ts, tcp/gateway.ts), once per authorization call: what the merchant saw, errors and timeouts included |
 * | `fulfillment.scheduled` | counter | {shipment} | `carrier` | fulfillment activity `scheduleShipment` |
 * | `order.completed` | counter | {order} | `payment.channel` | order activity, on COMPLETED |
 * | `order.duration` | histogram | s | `order.status` (terminal), `payment.channel` | order activity, on a terminal status |
 * | `order.compensations` | counter | {compensation} | `compensation`, `reason` | the compensating activities, when they undid something |
 * | `order.outcomes` | counter | {order} | `order.status` (COMPLETED, REJECTED, PAYMENT_DECLINED, FAILED, CANCELLED, REFUNDED), `payment.channel` | analytics, after the commit that applied the order's terminal event (exactly once per event); a refunded order counts COMPLETED, then REFUNDED |
 * | `order.revenue` | counter | {minor_unit} | `currency` (ISO 4217) | analytics, on `order.v1.completed`: the amount charged, in the currency's minor unit (KRW has none: won) |
 * | `order.payment.outcomes` | counter | {order} | `payment.channel`, `outcome` (authorized, declined) | analytics, on `order.v1.payment_authorized` / `_declined`: the decline rate's parts |
 * | `order.payment.decline_ratio` | gauge | 1 | `payment.channel` | analytics, read from its database at each collection: declined / (authorized + declined) over every order so far |
 * | `order.saga.duration` | histogram | s | `order.status` (terminal), `payment.channel` | analytics, from the terminal event: accepted to ended, as the events tell it (its percentiles are `GET /analytics/kpis`' latency) |
 * | `shipment.delivery.duration` | histogram | s | `carrier` | analytics, on `fulfillment.v1.delivered`: scheduled to delivered (seconds in the dev setting, days in production) |
 * | `notification.sent` | counter | {notification} | `channel` (email, sms, push), `event.type` | notification delivery, once the provider accepted the message (consumers/notification/delivery.ts) |
 * | `notification.delivery.failures` | counter | {attempt} | `channel`, `event.type`, `error.type` (e.g. ECONNECTION, smtp_550, http_503), `notification.delivery.outcome` (retry, failed) | notification delivery, per failed attempt: a rising rate of `retry` is a provider down, any `failed` is a message lost to the customer |
 * | `consumer.dead_letters` | counter | {record} | `messaging.consumer.group.name`, `reason` (malformed-json, bad-envelope, unknown-type, schema-violation, subject-mismatch, data-exception, integrity-violation, unclassified), `error.class` (permanent, transient-exhausted) | every consumer, once the dead letter is written (platform/record-processor.ts) |
 * | `consumer.retries` | counter | {attempt} | `messaging.consumer.group.name`, `error.class` (transient, permanent, unknown) | every consumer, per failed attempt it will retry: a rising rate with no dead letters is a dependency down |
 * | `messaging.kafka.consumer.lag` | gauge | {message} | `messaging.consumer.group.name`, `messaging.destination.name`, `messaging.destination.partition.id` | every consumer process |
 * | `rpc.server.duration` | histogram | ms | `rpc.system`, `rpc.service`, `rpc.method`, `ordersaga.telegram.response_code`, `error.type` | the TCP 전문 server (from its SERVER spans) |
 * | `payment.ledger.projection.lag` | gauge | {record} | — | payment-sim with a disk journal: ledger changes durable on its disk and not yet projected into PostgreSQL (payment-sim/ledger-journal.ts) |
 * | `db.client.connection.count`, `db.client.connection.pending_requests` | observable updown counters | {connection}, {request} | `db.client.connection.pool.name`, `db.client.connection.state` | every pool, read at collection (db-pool-metrics.ts) |
 * | `http.server.duration` | histogram | ms | `http.method`, `http.route`, `http.status_code`, … | every HTTP server (instrumentation-http) |
 *
 * Activities can be retried after they succeeded (a lost completion), so an activity-side count can
 * run high by a retry; the consumer-side count happens after its exactly-once commit.
 */
import { type Counter, type Histogram, metrics, type MeterProvider } from '@opentelemetry/api';
import type { FailureReasonCode } from '../contracts/failure-reasons.js';

export const metricNames = {
  ordersCreated: 'orders.created',
  inventoryReserved: 'inventory.reserved',
  paymentAuthorized: 'payment.authorized',
  paymentClientAuthorizations: 'payment.client.authorizations',
  fulfillmentScheduled: 'fulfillment.scheduled',
  orderCompleted: 'order.completed',
  orderDuration: 'order.duration',
  orderCompensations: 'order.compensations',
  orderCompensationFailures: 'order.compensation.failures',
  notificationSent: 'notification.sent',
  notificationDeliveryFailures: 'notification.delivery.failures',
  orderOutcomes: 'order.outcomes',
  orderRevenue: 'order.revenue',
  orderPaymentOutcomes: 'order.payment.outcomes',
  orderPaymentDeclineRatio: 'order.payment.decline_ratio',
  orderSagaDuration: 'order.saga.duration',
  shipmentDeliveryDuration: 'shipment.delivery.duration',
  consumerDeadLetters: 'consumer.dead_letters',
  consumerRetries: 'consumer.retries',
  consumerLag: 'messaging.kafka.consumer.lag',
  rpcServerDuration: 'rpc.server.duration',
  ledgerProjectionLag: 'payment.ledger.projection.lag',
  httpServerDuration: 'http.server.duration',
} as const;

const METER = 'ordersaga';
/** From a quick approval (well under a second) to a saga whose payment retries run out (about 15 s) and beyond. */
const ORDER_DURATION_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120, 300];
/** From the demo carrier's seconds to a production carrier's week and more. */
const DELIVERY_DURATION_BUCKETS_S = [
  5, 10, 15, 20, 30, 45, 60, 120, 300, 900, 3600, 21_600, 43_200, 86_400, 172_800, 259_200, 432_000, 604_800, 1_209_600,
];
const RPC_DURATION_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export interface BusinessMetrics {
  ordersCreated: Counter;
  inventoryReserved: Counter;
  paymentAuthorized: Counter;
  paymentClientAuthorizations: Counter;
  fulfillmentScheduled: Counter;
  orderCompleted: Counter;
  orderDuration: Histogram;
  orderCompensations: Counter;
  orderCompensationFailures: Counter;
  notificationSent: Counter;
  notificationDeliveryFailures: Counter;
  orderOutcomes: Counter;
  orderRevenue: Counter;
  orderPaymentOutcomes: Counter;
  orderSagaDuration: Histogram;
  shipmentDeliveryDuration: Histogram;
  consumerDeadLetters: Counter;
  consumerRetries: Counter;
  rpcServerDuration: Histogram;
}

function create(provider: MeterProvider): BusinessMetrics {
  const meter = provider.getMeter(METER);
  return {
    ordersCreated: meter.createCounter(metricNames.ordersCreated, { description: 'Orders accepted into a saga', unit: '{order}' }),
    inventoryReserved: meter.createCounter(metricNames.inventoryReserved, {
      description: 'Stock reservations, by outcome',
      unit: '{reservation}',
    }),
    paymentAuthorized: meter.createCounter(metricNames.paymentAuthorized, {
      description: 'Card authorizations decided by the payment gateway, by payment line and outcome',
      unit: '{authorization}',
    }),
    paymentClientAuthorizations: meter.createCounter(metricNames.paymentClientAuthorizations, {
      description: "Card authorization calls made by the order service's payment clients, by payment line and outcome",
      unit: '{authorization}',
    }),
    fulfillmentScheduled: meter.createCounter(metricNames.fulfillmentScheduled, { description: 'Shipments scheduled', unit: '{shipment}' }),
    orderCompleted: meter.createCounter(metricNames.orderCompleted, { description: 'Orders that completed', unit: '{order}' }),
    orderDuration: meter.createHistogram(metricNames.orderDuration, {
      description: 'Order end to end: accepted to terminal status',
      unit: 's',
      advice: { explicitBucketBoundaries: ORDER_DURATION_BUCKETS_S },
    }),
    orderCompensations: meter.createCounter(metricNames.orderCompensations, {
      description: 'Saga compensations that undid a step, by step and reason',
      unit: '{compensation}',
    }),
    orderCompensationFailures: meter.createCounter(metricNames.orderCompensationFailures, {
      description: 'Rounds of a saga compensation that failed and will be retried (alert when it keeps rising), by compensation',
      unit: '{round}',
    }),
    notificationSent: meter.createCounter(metricNames.notificationSent, {
      description: 'Notifications delivered to customers (accepted by the e-mail relay, SMS or push provider), by channel and event type',
      unit: '{notification}',
    }),
    notificationDeliveryFailures: meter.createCounter(metricNames.notificationDeliveryFailures, {
      description: 'Failed attempts at delivering a notification, by channel, error type and outcome (retry, or failed for good)',
      unit: '{attempt}',
    }),
    orderOutcomes: meter.createCounter(metricNames.orderOutcomes, {
      description: 'Orders that reached a terminal status, by status and payment line (analytics)',
      unit: '{order}',
    }),
    orderRevenue: meter.createCounter(metricNames.orderRevenue, {
      description: "Revenue of completed orders in the currency's minor unit, by currency (analytics)",
      unit: '{minor_unit}',
    }),
    orderPaymentOutcomes: meter.createCounter(metricNames.orderPaymentOutcomes, {
      description: 'Orders whose payment was authorized or declined, by payment line (analytics)',
      unit: '{order}',
    }),
    orderSagaDuration: meter.createHistogram(metricNames.orderSagaDuration, {
      description: 'Order saga from accepted to terminal status, as its events tell it (analytics)',
      unit: 's',
      advice: { explicitBucketBoundaries: ORDER_DURATION_BUCKETS_S },
    }),
    shipmentDeliveryDuration: meter.createHistogram(metricNames.shipmentDeliveryDuration, {
      description: 'Shipment from scheduled to delivered (analytics)',
      unit: 's',
      advice: { explicitBucketBoundaries: DELIVERY_DURATION_BUCKETS_S },
    }),
    consumerDeadLetters: meter.createCounter(metricNames.consumerDeadLetters, {
      description: 'Records a consumer gave up on and wrote to the dead-letter topic, by group, reason and error class',
      unit: '{record}',
    }),
    consumerRetries: meter.createCounter(metricNames.consumerRetries, {
      description: 'Failed attempts at a record that the consumer will retry, by group and failure class',
      unit: '{attempt}',
    }),
    rpcServerDuration: meter.createHistogram(metricNames.rpcServerDuration, {
      description: 'Duration of RPC calls served (the TCP 전문 line)',
      unit: 'ms',
      advice: { explicitBucketBoundaries: RPC_DURATION_BUCKETS_MS },
    }),
  };
}

// Instruments belong to the provider that made them; a test (or the SDK starting late) may install
// another, so they are looked up per provider: one WeakMap lookup per use.
const byProvider = new WeakMap<MeterProvider, BusinessMetrics>();

/** The instruments of the current global meter provider (no-ops when telemetry is off). */
export function businessMetrics(): BusinessMetrics {
  const provider = metrics.getMeterProvider();
  let instruments = byProvider.get(provider);
  if (!instruments) {
    instruments = create(provider);
    byProvider.set(provider, instruments);
  }
  return instruments;
}

/**
 * A compensation's reason as the metric's `reason` attribute: the saga's code
 * (platform/contracts/failure-reasons.ts) in lower snake case, a small fixed set; `unclassified`
 * for a command issued before the code existed.
 */
export function compensationReason(code: FailureReasonCode | undefined): string {
  return (code ?? 'UNCLASSIFIED').toLowerCase();
}
