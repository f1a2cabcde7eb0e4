/**
 * Every event type ordersaga publishes, with its payload schema. This file is the contract between
 * producers and consumers; `npm run schemas` writes the JSON Schema of each type to
 * `platform/events/schemas/`, and a test keeps the two in step.
 *
 * Types follow `<domain>.v<N>.<past_tense>`. Each domain has one topic, keyed by order id, so one
 * order's events stay in order on one partition.
 */
import { z } from 'zod';
import { orderStatuses, paymentChannels } from '../contracts/order.js';
import { topicName } from './naming.js';

const orderRef = {
  orderId: z.string().uuid(),
  customerId: z.string().min(1),
};
const minorAmount = z.number().int().min(0);
const currency = z.string().regex(/^[A-Z]{3}$/);
const channel = z.enum(paymentChannels);
const reason = z.string().min(1);

export const eventSchemas = {
  'order.v1.created': z.strictObject({
    ...orderRef,
    items: z.array(z.strictObject({ sku: z.string(), quantity: z.number().int().min(1) })).min(1),
    paymentChannel: channel,
    shippingCountry: z.string().length(2),
    acceptedAt: z.string().datetime(),
  }),
  'inventory.v1.reserved': z.strictObject({
    ...orderRef,
    lines: z.array(z.strictObject({ sku: z.string(), quantity: z.number().int().min(1), unitPriceMinor: minorAmount })),
    totalMinor: minorAmount,
    currency,
  }),
  'inventory.v1.rejected': z.strictObject({
    ...orderRef,
    reason,
    shortages: z.array(z.strictObject({ sku: z.string(), requested: z.number().int(), available: z.number().int() })),
  }),
  'inventory.v1.released': z.strictObject({ ...orderRef, reason }),
  'order.v1.payment_authorized': z.strictObject({
    ...orderRef,
    paymentId: z.string().min(1),
    channel,
    amountMinor: minorAmount,
    currency,
    approvalCode: z.string().min(1),
  }),
  'order.v1.payment_declined': z.strictObject({
    ...orderRef,
    channel,
    amountMinor: minorAmount,
    currency,
    declineCode: z.string().min(1),
    reason,
  }),
  'payment.v1.voided': z.strictObject({ ...orderRef, paymentId: z.string().min(1), channel, reason }),
  'fulfillment.v1.scheduled': z.strictObject({
    ...orderRef,
    shipmentId: z.string().min(1),
    carrier: z.string().min(1),
    estimatedDelivery: z.string().date(),
  }),
  'fulfillment.v1.cancelled': z.strictObject({ ...orderRef, shipmentId: z.string().min(1), reason }),
  /** The carrier picked the shipment up (ShipmentWorkflow): from here on the order cannot be cancelled. */
  'fulfillment.v1.shipped': z.strictObject({
    ...orderRef,
    shipmentId: z.string().min(1),
    carrier: z.string().min(1),
    estimatedDelivery: z.string().date(),
    shippedAt: z.string().datetime(),
  }),
  /** The carrier delivered it; `scheduledAt` is there so the delivery time needs no join. */
  'fulfillment.v1.delivered': z.strictObject({
    ...orderRef,
    shipmentId: z.string().min(1),
    carrier: z.string().min(1),
    scheduledAt: z.string().datetime(),
    deliveredAt: z.string().datetime(),
  }),
  /** The carrier lost it; the order service refunds the order (`order.v1.refunded`). */
  'fulfillment.v1.lost': z.strictObject({
    ...orderRef,
    shipmentId: z.string().min(1),
    carrier: z.string().min(1),
    reason,
    lostAt: z.string().datetime(),
  }),
  'order.v1.completed': z.strictObject({
    ...orderRef,
    amountMinor: minorAmount,
    currency,
    channel,
    acceptedAt: z.string().datetime(),
  }),
  'order.v1.rejected': z.strictObject({ ...orderRef, reason, acceptedAt: z.string().datetime() }),
  'order.v1.failed': z.strictObject({ ...orderRef, reason, acceptedAt: z.string().datetime() }),
  'order.v1.cancelled': z.strictObject({ ...orderRef, reason, acceptedAt: z.string().datetime() }),
  /** After COMPLETED: the payment was refunded through the payment line (a lost parcel). */
  'order.v1.refunded': z.strictObject({
    ...orderRef,
    paymentId: z.string().min(1),
    channel,
    amountMinor: minorAmount,
    currency,
    reason,
    acceptedAt: z.string().datetime(),
  }),
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
export const eventTypes = Object.keys(eventSchemas) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventSchemas, type);
}

/**
 * One topic per domain; the domain is the first segment of the event type. Names carry the
 * estate's prefix (`ordersaga.order.events` by default; platform/events/naming.ts).
 */
export const topics = {
  order: topicName('order.events'),
  inventory: topicName('inventory.events'),
  payment: topicName('payment.events'),
  fulfillment: topicName('fulfillment.events'),
} as const;
/** Records a consumer gave up on (not a valid event, or refused by its database), with why and where from (docs/dead-letters.md). */
export const deadLetterTopic = topicName('dead-letter');
/** Partitions per topic: enough for two consumer instances per group on this 2-core dev machine. */
export const partitionsPerTopic = 3;

export function topicFor(type: EventType): string {
  const domain = type.split('.')[0] as keyof typeof topics;
  return topics[domain];
}

/** The order status each order-domain event records; used by checks that compare Kafka with the database. */
export const statusOfOrderEvent: Partial<Record<EventType, (typeof orderStatuses)[number]>> = {
  'order.v1.created': 'PENDING',
  'order.v1.payment_authorized': 'PAYMENT_AUTHORIZED',
  'order.v1.payment_declined': 'PAYMENT_DECLINED',
  'order.v1.completed': 'COMPLETED',
  'order.v1.rejected': 'REJECTED',
  'order.v1.failed': 'FAILED',
  'order.v1.cancelled': 'CANCELLED',
  'order.v1.refunded': 'REFUNDED',
};
