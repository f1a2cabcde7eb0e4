/**
 * An Idempotency-Key reused with a different order (workers/order/api.ts, isSameSubmission): the
 * order service answers 422 instead of the first order, as the IETF idempotency-key draft says. A
 * true retry (the same order, however its JSON is laid out) is still the same submission.
 */
import test from 'ava';
import { isSameSubmission } from '../../workers/order/api.js';
import type { Order } from '../../platform/contracts/order.js';
import { validOrder } from '../support/fixtures.js';

/** As the gateway relays it: the card is the vault's token and its last four digits (docs/decisions.md). */
const { payment: _card, ...requested } = validOrder({
  items: [
    { sku: 'KB-001', quantity: 2 },
    { sku: 'MS-002', quantity: 1 },
  ],
});
const order: Order = {
  ...requested,
  payment: { channel: 'http', cardToken: 'tok_AAAAAAAAAAAAAAAAAAAA', last4: '4242', brand: 'visa', luhnValid: true },
};
/** What the order service recorded for `order` (it keeps the card's last four digits only). */
const recorded = {
  customerId: order.customerId,
  paymentChannel: order.payment.channel,
  cardLast4: order.payment.last4,
  items: order.items,
  // jsonb gives the keys back in its own order
  shippingAddress: Object.fromEntries(Object.entries(order.shippingAddress).reverse()) as typeof order.shippingAddress,
};

test('a retry of the same order is the same submission, whatever the order of keys and lines', (t) => {
  t.true(isSameSubmission(recorded, order));
  t.true(isSameSubmission(recorded, { ...order, items: [...order.items].reverse() }));
});

test('another basket, address, channel, card or customer under the same key is a different submission', (t) => {
  const variants = [
    {
      ...order,
      items: [
        { sku: 'KB-001', quantity: 3 },
        { sku: 'MS-002', quantity: 1 },
      ],
    },
    { ...order, items: [{ sku: 'KB-001', quantity: 2 }] },
    { ...order, shippingAddress: { ...order.shippingAddress, line1: '다른 주소 1' } },
    { ...order, payment: { ...order.payment, channel: 'tcp' as const } },
    { ...order, payment: { ...order.payment, cardToken: 'tok_BBBBBBBBBBBBBBBBBBBB', last4: '0002' } },
    { ...order, customerId: 'someone-else' },
  ];
  for (const variant of variants) t.false(isSameSubmission(recorded, variant), JSON.stringify(variant));
});
