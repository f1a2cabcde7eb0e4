/**
 * End to end through the running estate: one order submitted at the gateway, followed into every
 * service's own database, Kafka's consumers and Temporal.
 */
import { Connection, Client } from '@temporalio/client';
import test from 'ava';
import { config } from '../../platform/config.js';
import { workflowIdFor } from '../../platform/contracts/workflow.js';
import { asCustomer, eventually, queryDatabase, stockTestProduct, submitOrder, waitForStatus } from '../support/estate.js';

const customerId = `e2e-${Date.now()}`;

test('a completed order: row, stock, shipment, five events once in analytics, notifications, closed workflow', async (t) => {
  const sku = await stockTestProduct(10, 25_000);
  const submitted = await submitOrder({
    customerId,
    items: [{ sku, quantity: 3 }],
    payment: { channel: 'http', cardNumber: '4242 4242 4242 4242' },
    shippingAddress: { name: '이서연', line1: '해운대로 264', city: '부산', postalCode: '48094', country: 'KR' },
  });
  t.is(submitted.status, 202);
  t.is(submitted.body.status, 'PENDING');
  const { orderId } = submitted.body as { orderId: string };
  t.is(submitted.location, `/orders/${orderId}`);

  const order = await waitForStatus(
    orderId,
    (status) => !['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED'].includes(status),
  );
  t.is(order.status, 'COMPLETED');
  t.deepEqual(order.items, [{ sku, quantity: 3 }]);
  t.deepEqual(
    order.history.map((entry: { status: string }) => entry.status),
    ['PENDING', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'SHIPMENT_SCHEDULED', 'COMPLETED'],
  );
  t.is(order.amountMinor, 75_000 + 0, 'three at 25,000 won, free domestic shipping over 50,000');

  const [row] = await queryDatabase<{ status: string; card_last4: string }>(
    config().ORDER_DATABASE_URL,
    'SELECT status, card_last4 FROM orders WHERE order_id = $1',
    [orderId],
  );
  t.is(row?.status, 'COMPLETED');
  t.is(row?.card_last4, '4242');

  const stockOf = async () =>
    (
      await queryDatabase<{ available: number; reserved: number; shipped: number }>(
        config().INVENTORY_DATABASE_URL,
        'SELECT available, reserved, shipped FROM products WHERE sku = $1',
        [sku],
      )
    )[0]!;
  // Taken from the shelf at once; still reserved until the carrier takes the parcel, whose workflow
  // commits it as shipped just before the pickup (CARRIER_PICKUP_AFTER_MS).
  const atCompletion = await stockOf();
  t.is(atCompletion.available, 7);
  t.is(atCompletion.reserved + atCompletion.shipped, 3);
  const picked = await eventually(
    'the stock to leave with the parcel',
    async () => {
      const stock = await stockOf();
      return stock.shipped === 3 ? stock : undefined;
    },
    60_000,
  );
  t.deepEqual(picked, { available: 7, reserved: 0, shipped: 3 });

  const shipments = await queryDatabase<{ status: string; carrier: string }>(
    config().FULFILLMENT_DATABASE_URL,
    'SELECT status, carrier FROM shipments WHERE order_id = $1',
    [orderId],
  );
  // The shipment lives on in its own workflow (test/e2e/shipment-delivery.test.ts follows it).
  t.is(shipments.length, 1);
  t.is(shipments[0]!.carrier, 'cj-logistics');
  t.true(['SCHEDULED', 'SHIPPED', 'DELIVERED'].includes(shipments[0]!.status), shipments[0]!.status);

  const expectedEvents = [
    'fulfillment.v1.scheduled',
    'inventory.v1.reserved',
    'order.v1.completed',
    'order.v1.created',
    'order.v1.payment_authorized',
  ];
  // The saga's five; the shipment's own (shipped, delivered) come later and are not counted here.
  const analytics = await eventually('analytics to have applied all five events', async () => {
    const rows = await queryDatabase<{ event_type: string; times: number }>(
      config().ANALYTICS_DATABASE_URL,
      `SELECT event_type, count(*)::int AS times FROM processed_events WHERE subject = $1 AND event_type = ANY($2)
       GROUP BY event_type ORDER BY event_type`,
      [orderId, expectedEvents],
    );
    return rows.length === expectedEvents.length ? rows : undefined;
  });
  t.deepEqual(
    analytics,
    expectedEvents.map((type) => ({ event_type: type, times: 1 })),
  );
  const [fact] = await queryDatabase<{ status: string; amount_minor: number }>(
    config().ANALYTICS_DATABASE_URL,
    'SELECT status, amount_minor::int AS amount_minor FROM order_facts WHERE order_id = $1',
    [orderId],
  );
  t.deepEqual(fact, { status: 'COMPLETED', amount_minor: 75_000 });

  const notified = ['fulfillment.v1.scheduled', 'order.v1.completed', 'order.v1.created', 'order.v1.payment_authorized'];
  const notifications = await eventually('a notification for each customer-facing event', async () => {
    const rows = await queryDatabase<{ event_type: string; channel: string; locale: string; body: string }>(
      config().NOTIFICATION_DATABASE_URL,
      'SELECT event_type, channel, locale, body FROM notifications WHERE order_id = $1 AND event_type = ANY($2) ORDER BY event_type',
      [orderId, notified],
    );
    return rows.length >= notified.length ? rows : undefined;
  });
  t.deepEqual(
    notifications.map((row) => row.event_type),
    notified,
  );
  t.true(
    notifications.every((row) => row.channel === 'email' && row.locale === 'ko'),
    'a customer without preferences hears by email, in Korean',
  );
  t.regex(notifications.find((row) => row.event_type === 'order.v1.completed')!.body, /완료/);

  const viaGateway = (await (
    await fetch(`http://localhost:${config().GATEWAY_PORT}/notifications`, { headers: await asCustomer(customerId) })
  ).json()) as { notifications: { eventType: string }[] };
  t.is(viaGateway.notifications.filter((notification) => notified.includes(notification.eventType)).length, notified.length);

  const connection = await Connection.connect({ address: config().TEMPORAL_ADDRESS });
  try {
    const description = await new Client({ connection, namespace: config().TEMPORAL_NAMESPACE }).workflow
      .getHandle(workflowIdFor(orderId))
      .describe();
    t.is(description.status.name, 'COMPLETED');
  } finally {
    await connection.close();
  }
});
