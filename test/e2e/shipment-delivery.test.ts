/**
 * A shipment's life end to end, on the running estate and its dev carrier clock (seconds:
 * CARRIER_PICKUP_AFTER_MS, CARRIER_TRANSIT_MS): a completed order's shipment followed through the
 * gateway's `GET /orders/:id` to DELIVERED within a minute, its events applied by analytics and
 * announced by notification; a cancel refused once shipped; and the lost-parcel trigger, whose
 * order ends REFUNDED with the payment refunded at payment-sim. docs/saga.md#a-shipments-life.
 */
import test from 'ava';
import { config } from '../../platform/config.js';
import { demoCards, lostParcelPostalCode } from '../../platform/contracts/demo-triggers.js';
import {
  asOwnerOf,
  eventually,
  gatewayUrl,
  getJson,
  queryDatabase,
  stockTestProduct,
  submitOrder,
  waitForStatus,
} from '../support/estate.js';

const customerId = `e2e-ship-${Date.now()}`;
/** The bound: a completed order's shipment is DELIVERED within a minute in the dev setting. */
const DELIVERED_WITHIN_MS = 60_000;

interface ShipmentProgress {
  shipmentId: string;
  status: string;
  carrier: string;
  scheduledAt: string;
  shippedAt?: string;
  deliveredAt?: string;
  lostAt?: string;
}

async function readOrder(orderId: string): Promise<{ status: string; paymentId: string; shipment?: ShipmentProgress | null }> {
  const response = await fetch(`${gatewayUrl}/orders/${orderId}`, { headers: await asOwnerOf(orderId) });
  if (!response.ok) throw new Error(`GET /orders/${orderId} answered ${response.status}`);
  return (await response.json()) as never;
}

async function placeOrder(postalCode: string): Promise<string> {
  const sku = await stockTestProduct(5, 30_000);
  const submitted = await submitOrder({
    customerId,
    items: [{ sku, quantity: 2 }],
    payment: { channel: 'http', cardNumber: demoCards.approved },
    shippingAddress: { name: '정하늘', line1: '테헤란로 152', city: '서울', postalCode, country: 'KR' },
  });
  if (submitted.status !== 202) throw new Error(`the order was not accepted: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  return (submitted.body as { orderId: string }).orderId;
}

/** The order's events as analytics applied them, and how often each. */
async function appliedEvents(orderId: string): Promise<Record<string, number>> {
  const rows = await queryDatabase<{ event_type: string; times: number }>(
    config().ANALYTICS_DATABASE_URL,
    'SELECT event_type, count(*)::int AS times FROM processed_events WHERE subject = $1 GROUP BY event_type',
    [orderId],
  );
  return Object.fromEntries(rows.map((row) => [row.event_type, row.times]));
}

async function notificationsOf(orderId: string): Promise<{ event_type: string; locale: string; subject: string | null; body: string }[]> {
  return queryDatabase(
    config().NOTIFICATION_DATABASE_URL,
    'SELECT event_type, locale, subject, body FROM notifications WHERE order_id = $1 ORDER BY event_type',
    [orderId],
  );
}

test('a completed order’s shipment is SHIPPED, then DELIVERED within a minute, with its events and notifications; a cancel is refused', async (t) => {
  t.timeout(DELIVERED_WITHIN_MS + 60_000);
  const orderId = await placeOrder('06236');
  const completed = (await waitForStatus(
    orderId,
    (status) => status === 'COMPLETED' || status === 'FAILED' || status === 'PAYMENT_DECLINED',
  )) as { status: string };
  t.is(completed.status, 'COMPLETED', 'the saga completes on SCHEDULED, as before');
  const completedAt = Date.now();

  const shipped = await eventually(
    'the shipment to be SHIPPED',
    async () => {
      const order = await readOrder(orderId);
      return order.shipment && order.shipment.status !== 'SCHEDULED' ? order : undefined;
    },
    DELIVERED_WITHIN_MS,
  );
  t.truthy(shipped.shipment!.shippedAt);

  // Once the carrier has the parcel, it cannot be cancelled (the saga has ended, and said so).
  const cancel = await fetch(`${gatewayUrl}/orders/${orderId}/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await asOwnerOf(orderId)) },
    body: JSON.stringify({ reason: 'changed my mind' }),
  });
  t.is(cancel.status, 409);

  const delivered = await eventually(
    'the shipment to be DELIVERED',
    async () => {
      const order = await readOrder(orderId);
      return order.shipment?.status === 'DELIVERED' ? order : undefined;
    },
    DELIVERED_WITHIN_MS - (Date.now() - completedAt),
  );
  t.is(delivered.status, 'COMPLETED', 'a delivery does not change the order');
  const { shipment } = delivered;
  t.is(shipment!.shipmentId, `shp_${orderId}`);
  t.true(shipment!.scheduledAt <= shipment!.shippedAt! && shipment!.shippedAt! <= shipment!.deliveredAt!, JSON.stringify(shipment));
  t.is(shipment!.lostAt, undefined);

  const events = await eventually('analytics to apply shipped and delivered', async () => {
    const applied = await appliedEvents(orderId);
    return applied['fulfillment.v1.delivered'] ? applied : undefined;
  });
  t.like(events, { 'fulfillment.v1.scheduled': 1, 'fulfillment.v1.shipped': 1, 'fulfillment.v1.delivered': 1, 'order.v1.completed': 1 });

  const notifications = await eventually('notifications of the shipping and the delivery', async () => {
    const rows = await notificationsOf(orderId);
    return rows.some((row) => row.event_type === 'fulfillment.v1.delivered') &&
      rows.some((row) => row.event_type === 'fulfillment.v1.shipped')
      ? rows
      : undefined;
  });
  const byType = new Map(notifications.map((row) => [row.event_type, row]));
  // A customer without preferences hears by email, in Korean.
  t.is(byType.get('fulfillment.v1.shipped')!.subject, '[ordersaga] 배송 시작');
  t.is(byType.get('fulfillment.v1.delivered')!.subject, '[ordersaga] 배송 완료');
  t.is(notifications.filter((row) => row.event_type === 'fulfillment.v1.delivered').length, 1);
});

test('a lost parcel: the shipment ends LOST, the payment is refunded at payment-sim, the order ends REFUNDED and the customer hears of it', async (t) => {
  t.timeout(DELIVERED_WITHIN_MS + 60_000);
  const orderId = await placeOrder(lostParcelPostalCode);
  const completed = (await waitForStatus(
    orderId,
    (status) => status !== 'PENDING' && status !== 'STOCK_RESERVED' && status !== 'PAYMENT_AUTHORIZED' && status !== 'SHIPMENT_SCHEDULED',
  )) as { status: string };
  t.true(['COMPLETED', 'REFUNDED'].includes(completed.status), `the saga completes first, the loss comes later: ${completed.status}`);

  const refunded = (await waitForStatus(orderId, (status) => status === 'REFUNDED', DELIVERED_WITHIN_MS)) as {
    history: { status: string }[];
  };
  t.deepEqual(
    refunded.history.map((entry) => entry.status),
    ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', 'COMPLETED', 'REFUNDED'],
  );
  const order = await readOrder(orderId);
  t.is(order.shipment!.status, 'LOST');
  t.truthy(order.shipment!.lostAt);
  t.is(order.shipment!.deliveredAt, undefined);

  const payment = await getJson<{ status: string; refundedAt?: string }>(
    `${config().PAYMENT_HTTP_URL}/payments/${encodeURIComponent(order.paymentId)}`,
  );
  t.is(payment.status, 'refunded');
  t.truthy(payment.refundedAt);

  const events = await eventually('analytics to apply the loss and the refund', async () => {
    const applied = await appliedEvents(orderId);
    return applied['order.v1.refunded'] && applied['fulfillment.v1.lost'] ? applied : undefined;
  });
  t.like(events, { 'fulfillment.v1.shipped': 1, 'fulfillment.v1.lost': 1, 'order.v1.refunded': 1 });
  t.is(events['fulfillment.v1.delivered'], undefined);
  const [fact] = await queryDatabase<{ status: string }>(
    config().ANALYTICS_DATABASE_URL,
    'SELECT status FROM order_facts WHERE order_id = $1',
    [orderId],
  );
  t.is(fact?.status, 'REFUNDED');

  const refundNotice = await eventually('the refund notification', async () =>
    (await notificationsOf(orderId)).find((row) => row.event_type === 'order.v1.refunded'),
  );
  t.regex(refundNotice.body, /환불/);
});
