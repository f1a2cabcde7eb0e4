/**
 * Sample data shared by the unit and integration tests: a valid order request and one valid
 * payload per event type. Every call returns fresh objects, so a test may mutate what it gets.
 */
import { randomUUID } from 'node:crypto';
import type { EventData, EventType } from '../../platform/events/catalog.js';
import type { OrderRequest } from '../../platform/contracts/order.js';
import { demoCards, undeliverablePostalCode } from '../../platform/contracts/demo-triggers.js';

/** A Luhn-valid card the payment simulator approves. */
export const APPROVED_CARD = demoCards.approved;

/** A unique SKU that matches the catalogue's pattern and no seeded product. */
export function uniqueSku(): string {
  return `T-${randomUUID().replaceAll('-', '').slice(0, 20).toUpperCase()}`;
}

/** A customer id no other test (and no seeded data) uses. */
export function uniqueCustomerId(label = 'test'): string {
  return `${label}-${randomUUID()}`;
}

/** The body of a valid order request, before the schema normalises it. */
export function validOrderBody(overrides: { customerId?: string; items?: { sku: string; quantity: number }[] } = {}) {
  return {
    customerId: overrides.customerId ?? uniqueCustomerId('customer'),
    items: overrides.items ?? [{ sku: 'KB-001', quantity: 2 }],
    payment: { channel: 'http', cardNumber: APPROVED_CARD },
    shippingAddress: { name: '김민수', line1: '테헤란로 123', city: '서울', postalCode: '06236', country: 'KR' },
  };
}

/** A validated order request (what the schema yields for `validOrderBody`). */
export function validOrder(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customerId: uniqueCustomerId('customer'),
    items: [{ sku: 'KB-001', quantity: 2 }],
    payment: { channel: 'http', cardNumber: APPROVED_CARD },
    shippingAddress: { name: '김민수', line1: '테헤란로 123', city: '서울', postalCode: '06236', country: 'KR' },
    ...overrides,
  };
}

/** One valid payload for every event type, about one order. */
export function sampleEventData(
  orderId: string = randomUUID(),
  customerId: string = uniqueCustomerId('customer'),
): {
  [T in EventType]: EventData<T>;
} {
  const ref = { orderId, customerId };
  const acceptedAt = '2025-03-01T09:30:00.000Z';
  return {
    'order.v1.created': {
      ...ref,
      items: [{ sku: 'KB-001', quantity: 2 }],
      paymentChannel: 'http',
      shippingCountry: 'KR',
      acceptedAt,
    },
    'inventory.v1.reserved': {
      ...ref,
      lines: [{ sku: 'KB-001', quantity: 2, unitPriceMinor: 45_000 }],
      totalMinor: 90_000,
      currency: 'KRW',
    },
    'inventory.v1.rejected': {
      ...ref,
      reason: 'insufficient stock for KB-001',
      shortages: [{ sku: 'KB-001', requested: 2, available: 1 }],
    },
    'inventory.v1.released': { ...ref, reason: 'payment declined' },
    'order.v1.payment_authorized': {
      ...ref,
      paymentId: 'pay_123',
      channel: 'http',
      amountMinor: 90_000,
      currency: 'KRW',
      approvalCode: '12345678',
    },
    'order.v1.payment_declined': {
      ...ref,
      channel: 'tcp',
      amountMinor: 90_000,
      currency: 'KRW',
      declineCode: 'insufficient_funds',
      reason: 'card has insufficient funds',
    },
    'payment.v1.voided': { ...ref, paymentId: 'pay_123', channel: 'http', reason: 'shipment failed' },
    'fulfillment.v1.scheduled': {
      ...ref,
      shipmentId: `shp_${orderId}`,
      carrier: 'cj-logistics',
      estimatedDelivery: '2025-03-03',
    },
    'fulfillment.v1.cancelled': { ...ref, shipmentId: `shp_${orderId}`, reason: 'payment voided' },
    'fulfillment.v1.shipped': {
      ...ref,
      shipmentId: `shp_${orderId}`,
      carrier: 'cj-logistics',
      estimatedDelivery: '2025-03-03',
      shippedAt: '2025-03-01T09:31:05.000Z',
    },
    'fulfillment.v1.delivered': {
      ...ref,
      shipmentId: `shp_${orderId}`,
      carrier: 'cj-logistics',
      scheduledAt: '2025-03-01T09:31:00.000Z',
      deliveredAt: '2025-03-01T09:31:15.000Z',
    },
    'fulfillment.v1.lost': {
      ...ref,
      shipmentId: `shp_${orderId}`,
      carrier: 'cj-logistics',
      reason: 'the carrier lost the parcel',
      lostAt: '2025-03-01T09:31:15.000Z',
    },
    'order.v1.completed': { ...ref, amountMinor: 93_000, currency: 'KRW', channel: 'http', acceptedAt },
    'order.v1.rejected': { ...ref, reason: 'insufficient stock for KB-001', acceptedAt },
    'order.v1.failed': { ...ref, reason: `no carrier delivers to postal code ${undeliverablePostalCode}`, acceptedAt },
    'order.v1.cancelled': { ...ref, reason: 'customer asked', acceptedAt },
    'order.v1.refunded': {
      ...ref,
      paymentId: 'pay_123',
      channel: 'http',
      amountMinor: 93_000,
      currency: 'KRW',
      reason: 'the carrier lost the parcel',
      acceptedAt,
    },
  };
}
