/**
 * `GET /orders/:id` at the gateway carries the order's shipment progress, read from fulfillment
 * (docs/saga.md#a-shipments-life): its status and step times, not its address or lines; and the
 * order is still answered, without it, when fulfillment does not answer.
 */
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { mintToken } from '../../platform/identity.js';
import { gatewayOptions, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';

let standIns: StandIns;

test.before(async () => {
  standIns = await startStandIns();
});
test.after.always(() => standIns.close());

async function readOrder(options: Parameters<typeof gatewayOptions>[1], orderId: string, customerId: string) {
  const gateway = createGatewayApp(gatewayOptions(standIns, options));
  const token = await mintToken({ secret: TEST_SECRET, customerId });
  return gateway.request(`/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
}

test('the order carries its shipment: status and the time of each step, without the address', async (t) => {
  const order = standIns.addOrder('cust-ship');
  const answer = await readOrder({}, order.orderId, 'cust-ship');
  t.is(answer.status, 200);
  const body = (await answer.json()) as { orderId: string; shipment: Record<string, unknown> };
  t.is(body.orderId, order.orderId);
  t.deepEqual(body.shipment, {
    shipmentId: `shp_${order.orderId}`,
    status: 'SHIPPED',
    carrier: 'cj-logistics',
    estimatedDelivery: '2026-12-03',
    scheduledAt: '2026-12-01T09:00:00.000Z',
    shippedAt: '2026-12-01T09:00:05.000Z',
  });
  t.true(standIns.received.some((request) => request.service === 'fulfillment' && request.url === `/shipments?orderId=${order.orderId}`));
});

test('with fulfillment unreachable the order is answered without its shipment', async (t) => {
  const order = standIns.addOrder('cust-ship-2');
  const answer = await readOrder({ FULFILLMENT_URL: 'http://127.0.0.1:1' }, order.orderId, 'cust-ship-2');
  t.is(answer.status, 200);
  const body = (await answer.json()) as Record<string, unknown>;
  t.is(body.orderId, order.orderId);
  t.false('shipment' in body);
});
