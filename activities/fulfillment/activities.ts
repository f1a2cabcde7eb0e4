/**
 * Fulfillment activities (task queue `fulfillment`), idempotent per order: the saga's schedule and
 * cancel, and the simulated carrier's two reports that the shipment's run asks for (pickup, arrival).
 * Scheduling does not start that run: the order service does, once the order COMPLETED (a saga of
 * an order worker from before that change excepted: docs/saga.md#a-shipments-life).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { logger } from '../../platform/logger.js';
import type { EventPublisher } from '../../platform/kafka.js';
import type { OrderRequest } from '../../platform/contracts/order.js';
import { LOST_PARCEL_POSTAL_CODES, UNDELIVERABLE_POSTAL_CODES } from '../../platform/contracts/demo-triggers.js';
import type { CompensationCause } from '../../platform/contracts/failure-reasons.js';
import { type CarrierClock, type ShipmentArrival, shipmentIdFor, type ShipmentStatus } from '../../platform/contracts/shipment.js';
import type { ShipmentRuns } from '../../platform/shipment-runs.js';
import { businessMetrics, compensationReason } from '../../platform/telemetry/metrics.js';
import type { FulfillmentStore, Shipment } from './store.js';

export interface ScheduleShipmentInput {
  orderId: string;
  customerId: string;
  items: OrderRequest['items'];
  shippingAddress: OrderRequest['shippingAddress'];
  /** The day the order was accepted (YYYY-MM-DD), so the delivery estimate is the same on every retry. */
  orderDate: string;
  /**
   * The saga's order service starts the shipment's run once the order COMPLETED (v2). A saga on an
   * order worker from before v2 leaves it out, and scheduling starts the first type's run for it, as
   * it did then: so fulfillment can be upgraded before the order worker without a shipment left
   * without a run.
   */
  runStartsOnCompletion?: boolean;
}

function deliveryPlan(country: string, orderDate: string): { carrier: string; estimatedDelivery: string } {
  const domestic = country === 'KR';
  const date = new Date(`${orderDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + (domestic ? 2 : 7));
  return { carrier: domestic ? 'cj-logistics' : 'ems', estimatedDelivery: date.toISOString().slice(0, 10) };
}

const log = logger('fulfillment');

export function createFulfillmentActivities(
  store: FulfillmentStore,
  events: EventPublisher,
  carrier: { runs: Pick<ShipmentRuns, 'startAtScheduling'>; clock: CarrierClock },
) {
  return {
    async scheduleShipment(input: ScheduleShipmentInput): Promise<Shipment> {
      if (UNDELIVERABLE_POSTAL_CODES.has(input.shippingAddress.postalCode)) {
        throw ApplicationFailure.nonRetryable(
          `no carrier delivers to postal code ${input.shippingAddress.postalCode}`,
          'UndeliverableAddress',
        );
      }
      const shipment = await store.schedule({
        shipmentId: shipmentIdFor(input.orderId),
        orderId: input.orderId,
        customerId: input.customerId,
        address: input.shippingAddress,
        lines: input.items,
        ...deliveryPlan(input.shippingAddress.country, input.orderDate),
      });
      if ('refused' in shipment) {
        throw ApplicationFailure.nonRetryable(
          `the shipment of order ${input.orderId} was cancelled before it was scheduled (${shipment.refused}); nothing was scheduled`,
          'ShipmentCancelled',
        );
      }
      await events.emit('fulfillment.v1.scheduled', {
        orderId: input.orderId,
        customerId: input.customerId,
        shipmentId: shipment.shipmentId,
        carrier: shipment.carrier,
        estimatedDelivery: shipment.estimatedDelivery,
      });
      businessMetrics().fulfillmentScheduled.add(1, { carrier: shipment.carrier });
      // The shipment's life goes on in its own run, which the order service starts once the saga
      // COMPLETED. Only an older order worker's saga needs it started here (see the input); a
      // shipment the saga's undo already cancelled (a late retry) has no life to live.
      if (!input.runStartsOnCompletion && shipment.status !== 'CANCELLED') {
        await carrier.runs.startAtScheduling({
          shipmentId: shipment.shipmentId,
          orderId: input.orderId,
          customerId: input.customerId,
          clock: carrier.clock,
        });
      }
      return shipment;
    },

    /**
     * The carrier picks the shipment up (SCHEDULED → SHIPPED) → `fulfillment.v1.shipped`. Returns the
     * status it now has: CANCELLED if the saga's undo came first, and the workflow then ends.
     */
    async pickUpShipment(input: { shipmentId: string }): Promise<ShipmentStatus> {
      const shipment = await store.pickUp(input.shipmentId);
      if (shipment.status === 'SHIPPED') {
        await events.emit('fulfillment.v1.shipped', {
          orderId: shipment.orderId,
          customerId: shipment.customerId,
          shipmentId: shipment.shipmentId,
          carrier: shipment.carrier,
          estimatedDelivery: shipment.estimatedDelivery,
          shippedAt: shipment.shippedAt!,
        });
      }
      return shipment.status;
    },

    /**
     * The end of the transit: delivered (→ `fulfillment.v1.delivered`), or lost when the address is a
     * lost-parcel demo trigger (→ `fulfillment.v1.lost`; the workflow then has the order refunded).
     */
    async completeTransit(input: { shipmentId: string }): Promise<ShipmentArrival> {
      const before = await store.findByShipment(input.shipmentId);
      if (!before) throw ApplicationFailure.nonRetryable(`shipment ${input.shipmentId} does not exist`, 'UnknownShipment');
      const outcome: ShipmentArrival = LOST_PARCEL_POSTAL_CODES.has(before.address.postalCode ?? '')
        ? { status: 'LOST', reason: `the carrier lost the parcel on its way to postal code ${before.address.postalCode}` }
        : { status: 'DELIVERED' };
      const shipment = await store.arrive(input.shipmentId, outcome);
      const ref = {
        orderId: shipment.orderId,
        customerId: shipment.customerId,
        shipmentId: shipment.shipmentId,
        carrier: shipment.carrier,
      };
      if (shipment.status === 'DELIVERED') {
        await events.emit('fulfillment.v1.delivered', { ...ref, scheduledAt: shipment.scheduledAt, deliveredAt: shipment.deliveredAt! });
        return { status: 'DELIVERED' };
      }
      if (shipment.status === 'LOST') {
        const reason = outcome.status === 'LOST' ? outcome.reason : 'the carrier lost the parcel';
        await events.emit('fulfillment.v1.lost', { ...ref, reason, lostAt: shipment.lostAt! });
        return { status: 'LOST', reason };
      }
      throw ApplicationFailure.nonRetryable(
        `shipment ${input.shipmentId} is ${shipment.status}: only a SHIPPED shipment can arrive`,
        'ShipmentNotInTransit',
      );
    },

    /** Compensation: cancels the order's shipment if it has one that has not left. */
    async cancelShipment(input: { orderId: string; customerId: string } & CompensationCause): Promise<boolean> {
      const shipment = await store.cancel(input.orderId, input.reason);
      if (!shipment) log.info({ orderId: input.orderId }, 'nothing was scheduled; the order is closed to later shipments');
      if (shipment?.status !== 'CANCELLED') return false;
      const { orderId, customerId, reason } = input;
      await events.emit('fulfillment.v1.cancelled', { orderId, customerId, reason, shipmentId: shipment.shipmentId });
      businessMetrics().orderCompensations.add(1, {
        compensation: 'cancel_shipment',
        reason: compensationReason(input.reasonCode),
      });
      return true;
    },
  };
}

export type FulfillmentActivities = ReturnType<typeof createFulfillmentActivities>;
