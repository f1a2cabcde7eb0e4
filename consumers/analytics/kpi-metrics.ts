/**
 * The business KPIs as OpenTelemetry metrics (names and attributes in platform/telemetry/metrics.ts,
 * listed in docs/observability.md), so an APM charts them beside the services' own: what
 * `GET /analytics/kpis` answers from the database, as instruments.
 *
 * Counters and histograms are recorded from the event that makes the KPI move, after the consumer's
 * transaction has committed (the projector returns `kpisOf(event)` as its after-commit step), so an
 * event is counted exactly once however often Kafka delivers it. The decline ratio is a gauge read
 * from the database at each collection: a ratio over every order so far, not over this process's life.
 */
import { metrics } from '@opentelemetry/api';
import { terminalStatuses, type TerminalStatus } from '../../platform/contracts/order.js';
import type { Database } from '../../platform/db.js';
import type { CloudEvent } from '../../platform/events/envelope.js';
import { logger } from '../../platform/logger.js';
import { businessMetrics, metricNames } from '../../platform/telemetry/metrics.js';
import { readDeclineRates } from './kpis.js';

const terminalOfEvent: Partial<Record<string, TerminalStatus>> = {
  'order.v1.completed': 'COMPLETED',
  'order.v1.rejected': 'REJECTED',
  'order.v1.payment_declined': 'PAYMENT_DECLINED',
  'order.v1.failed': 'FAILED',
  'order.v1.cancelled': 'CANCELLED',
  'order.v1.refunded': 'REFUNDED',
};

function seconds(from: string, to: string): number | undefined {
  const elapsed = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(elapsed) && elapsed >= 0 ? elapsed : undefined;
}

/**
 * What one event adds to the KPI instruments, to run once its transaction has committed; undefined
 * for events no KPI counts. `paymentChannel` is the order's line as analytics knows it (the fact).
 */
export function kpisOf(event: CloudEvent, paymentChannel: string | undefined): (() => void) | undefined {
  const instruments = businessMetrics();
  const channel = paymentChannel ? { 'payment.channel': paymentChannel } : {};
  const data = event.data as Record<string, unknown>;
  const steps: (() => void)[] = [];

  const terminal = terminalOfEvent[event.type];
  if (terminal && (terminalStatuses as readonly string[]).includes(terminal)) {
    steps.push(() => instruments.orderOutcomes.add(1, { 'order.status': terminal, ...channel }));
    // A refund comes after the saga ended: its time is not the saga's.
    const duration = terminal === 'REFUNDED' ? undefined : seconds(String(data.acceptedAt), event.time);
    if (duration !== undefined) steps.push(() => instruments.orderSagaDuration.record(duration, { 'order.status': terminal, ...channel }));
  }
  switch (event.type) {
    case 'order.v1.completed': {
      const { amountMinor, currency } = event.data as CloudEvent<'order.v1.completed'>['data'];
      steps.push(() => instruments.orderRevenue.add(amountMinor, { currency }));
      break;
    }
    case 'order.v1.payment_authorized':
    case 'order.v1.payment_declined': {
      const line = (event.data as CloudEvent<'order.v1.payment_authorized'>['data']).channel;
      const outcome = event.type === 'order.v1.payment_authorized' ? 'authorized' : 'declined';
      steps.push(() => instruments.orderPaymentOutcomes.add(1, { 'payment.channel': line, outcome }));
      break;
    }
    case 'fulfillment.v1.delivered': {
      const { scheduledAt, deliveredAt, carrier } = event.data as CloudEvent<'fulfillment.v1.delivered'>['data'];
      const duration = seconds(scheduledAt, deliveredAt);
      if (duration !== undefined) steps.push(() => instruments.shipmentDeliveryDuration.record(duration, { carrier }));
      break;
    }
  }
  return steps.length > 0 ? () => steps.forEach((step) => step()) : undefined;
}

/** `order.payment.decline_ratio`: read from the analytics database when metrics are collected. */
export function observeDeclineRatio(db: Database): void {
  const log = logger('analytics');
  const gauge = metrics.getMeter('ordersaga').createObservableGauge(metricNames.orderPaymentDeclineRatio, {
    description: 'Declined / (authorized + declined) payments over every order so far, by payment line (analytics)',
    unit: '1',
  });
  gauge.addCallback(async (result) => {
    try {
      for (const line of await readDeclineRates(db)) {
        if (line.authorized + line.declined > 0) result.observe(line.declineRate, { 'payment.channel': line.channel });
      }
    } catch (error) {
      // A collection without the gauge is better than a failed export of every metric.
      log.warn({ err: error }, 'decline ratio not read');
    }
  });
}
