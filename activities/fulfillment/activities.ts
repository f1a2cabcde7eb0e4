/**
 * Fulfillment activities (task queue `fulfillment`), idempotent per order.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { logger } from '../../platform/logger.js';
import type { EventPublisher } from '../../platform/kafka.js';
import type { OrderRequest } from '../../platform/contracts/order.js';
import { UNDELIVERABLE_POSTAL_CODES } from '../../platform/contracts/demo-triggers.js';
import type { CompensationCause } from '../../platform/contracts/failure-reasons.js';
import { businessMetrics, compensationReason } from '../../platform/telemetry/metrics.js';
import type { FulfillmentStore, Shipment } from './store.js';

export interface ScheduleShipmentInput {
  orderId: string;
  customerId: string;
  items: OrderRequest['items'];
  shippingAddress: OrderRequest['shippingAddress'];
  /** The day the order was accepted (YYYY-MM-DD), so the delivery estimate is the same on every retry. */
  orderDate: string;
}

function deliveryPlan(country: string, orderDate: string): { carrier: string; estimatedDelivery: string } {
  const domestic = country === 'KR';
  const date = new Date(`${orderDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + (domestic ? 2 : 7));
  return { carrier: domestic ? 'cj-logistics' : 'ems', estimatedDelivery: date.toISOString().slice(0, 10) };
}

const log = logger('fulfillment');

export function createFulfillmentActivities(store: FulfillmentStore, events: EventPublisher) {
  return {
    async scheduleShipment(input: ScheduleShipmentInput): Promise<Shipment> {
      if (UNDELIVERABLE_POSTAL_CODES.has(input.shippingAddress.postalCode)) {
        throw ApplicationFailure.nonRetryable(
          `no carrier delivers to postal code ${input.shippingAddress.postalCode}`,
          'UndeliverableAddress',
        );
      }
      const shipment = await store.schedule({
        shipmentId: `shp_${input.orderId}`,
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
      return shipment;
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
