/**
 * Failure reasons travel as codes: the saga reads a code off the failure that ended a step (its
 * ApplicationFailure type), hands it to the compensations, and the metric carries it. Nothing reads
 * the reason's words, so a reworded message can no longer move an order into another series.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics as metricsApi } from '@opentelemetry/api';
import { metrics } from '@opentelemetry/sdk-node';
import {
  ActivityFailure,
  ApplicationFailure,
  DefaultFailureConverter,
  defaultPayloadConverter,
  ensureApplicationFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import test from 'ava';
import { createInventoryActivities } from '../../activities/inventory/activities.js';
import type { InventoryStore } from '../../activities/inventory/store.js';
import { PaymentGatewayError } from '../../activities/payment/gateway.js';
import { failureReasonCodes, failureTypeReasons, reasonCodeOfFailure } from '../../platform/contracts/failure-reasons.js';
import { INJECTED_FAULT } from '../../platform/faults.js';
import type { EventPublisher } from '../../platform/kafka.js';
import { compensationReason, metricNames } from '../../platform/telemetry/metrics.js';

const metricReader = new (class extends metrics.MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
})();
metricsApi.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [metricReader] }));

const converter = new DefaultFailureConverter();

/**
 * An error thrown in an activity as the workflow receives it: made an ApplicationFailure as the
 * activity worker does (a plain error's class name becomes its type), encoded, decoded, and wrapped
 * in an ActivityFailure.
 */
function asTheSagaSeesIt(thrown: Error, activityType = 'scheduleShipment'): ActivityFailure {
  const failure = converter.errorToFailure(ensureApplicationFailure(thrown), defaultPayloadConverter);
  const cause = converter.failureToError(failure, defaultPayloadConverter);
  return new ActivityFailure('Activity task failed', activityType, '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
}

test('a failed step is classified by the type of its ApplicationFailure, not by its message', (t) => {
  const undeliverable = ApplicationFailure.nonRetryable('reworded: the courier refuses this address', 'UndeliverableAddress');
  t.is(reasonCodeOfFailure(asTheSagaSeesIt(undeliverable)), 'UNDELIVERABLE_ADDRESS');
  // The payment clients' retryable error reaches the saga with its class name as the type.
  const noAnswer = new PaymentGatewayError('http', true, 'no carrier delivers to postal code 99999 (a misleading text)');
  t.is(reasonCodeOfFailure(asTheSagaSeesIt(noAnswer, 'authorizePayment')), 'PAYMENT_GATEWAY_ERROR');
  const refused = ApplicationFailure.nonRetryable('order 1: refused', 'PaymentGatewayRejected');
  t.is(reasonCodeOfFailure(asTheSagaSeesIt(refused, 'authorizePayment')), 'PAYMENT_GATEWAY_ERROR');
  t.is(reasonCodeOfFailure(asTheSagaSeesIt(ApplicationFailure.retryable('boom', INJECTED_FAULT))), 'INJECTED_FAULT');
  const timedOut = new ActivityFailure(
    'Activity task timed out',
    'scheduleShipment',
    '1',
    RetryState.TIMEOUT,
    'worker',
    new TimeoutFailure('activity StartToClose timeout', undefined, TimeoutType.START_TO_CLOSE),
  );
  t.is(reasonCodeOfFailure(timedOut), 'STEP_TIMED_OUT');
  t.is(reasonCodeOfFailure(asTheSagaSeesIt(new Error('cancelled by the customer, declined'))), 'UNCLASSIFIED');
  t.is(reasonCodeOfFailure('not an error'), 'UNCLASSIFIED');
});

/** Every `ApplicationFailure.nonRetryable(…, 'Type')` / `.retryable(…, 'Type')` under activities/. */
function failureTypesThrownByActivities(): Set<string> {
  const types = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        for (const match of source.matchAll(/ApplicationFailure\.(?:nonRetryable|retryable)\(([\s\S]*?)\);/g)) {
          const type = /,\s*'([A-Za-z]+)',?\s*$/.exec(match[1]!)?.[1];
          if (type) types.add(type);
        }
      }
    }
  };
  walk(new URL('../../activities', import.meta.url).pathname);
  return types;
}

test('every failure type an activity throws, and the payment clients’ error, has a code', (t) => {
  const thrown = failureTypesThrownByActivities();
  t.true(thrown.has('UndeliverableAddress'), 'the scan finds the types');
  for (const type of [...thrown, new PaymentGatewayError('tcp', true, 'x').name, INJECTED_FAULT]) {
    t.true(type in failureTypeReasons, `ApplicationFailure type ${type} has no reason code`);
  }
  for (const code of Object.values(failureTypeReasons)) t.true(failureReasonCodes.includes(code));
});

test('the metric attribute is the code in lower case, and a command from before the codes is unclassified', (t) => {
  t.is(compensationReason('PAYMENT_DECLINED'), 'payment_declined');
  t.is(compensationReason('UNDELIVERABLE_ADDRESS'), 'undeliverable_address');
  t.is(compensationReason(undefined), 'unclassified');
  for (const code of failureReasonCodes) t.regex(compensationReason(code), /^[a-z_]+$/);
});

test('a compensation counts its code, whatever its words say, and its event carries the words only', async (t) => {
  const emitted: { type: string; data: unknown }[] = [];
  const events = {
    emit: async (type: string, data: unknown) => {
      emitted.push({ type, data });
    },
  } as unknown as EventPublisher;
  const store = {
    release: async (orderId: string) => ({ orderId, status: 'RELEASED', lines: [{ sku: 'KB-001', quantity: 1, unitPriceMinor: 1 }] }),
  } as unknown as InventoryStore;
  const activities = createInventoryActivities(store, events);
  t.true(
    await activities.releaseStock({
      orderId: 'o-1',
      customerId: 'c-1',
      reason: 'Customer cancelled: wrong size',
      reasonCode: 'PAYMENT_DECLINED',
    }),
  );
  t.deepEqual(emitted, [
    { type: 'inventory.v1.released', data: { orderId: 'o-1', customerId: 'c-1', reason: 'Customer cancelled: wrong size' } },
  ]);

  const { resourceMetrics } = await metricReader.collect();
  const points = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === metricNames.orderCompensations)
    .flatMap((metric) => metric.dataPoints as { attributes: unknown }[]);
  t.deepEqual(
    points.map((point) => point.attributes),
    [{ compensation: 'release_stock', reason: 'payment_declined' }],
  );
});
