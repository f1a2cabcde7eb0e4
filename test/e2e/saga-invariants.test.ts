/**
 * A mixed batch through the running estate: every saga path, both payment lines, cancellations at
 * random moments. Afterwards the invariant checker (the same one users run with `make check`) must
 * find nothing wrong.
 */
import test from 'ava';
import { checkInvariants } from '../../infra/programs/checks/invariants.js';
import type { OrderRequest } from '../../platform/contracts/order.js';
import { asOwnerOf, gatewayUrl, stockTestProduct, submitOrder } from '../support/estate.js';

const BATCH_SIZE = 240;

type Path = 'completed' | 'declined' | 'insufficient-funds' | 'out-of-stock' | 'undeliverable' | 'gateway-errors' | 'cancel';
const paths: Path[] = [
  'completed',
  'completed',
  'completed',
  'declined',
  'insufficient-funds',
  'out-of-stock',
  'undeliverable',
  'cancel',
  'cancel',
  'completed',
  'gateway-errors',
  'completed',
];

test('after a mixed batch of 240 orders over every path and both channels, every invariant holds', async (t) => {
  const plentiful = await Promise.all([stockTestProduct(10_000, 12_000), stockTestProduct(10_000, 31_000)]);
  const scarce = await stockTestProduct(2, 50_000);
  const batchTag = Date.now().toString(36);

  function orderFor(index: number, path: Path): OrderRequest {
    const channel = index % 2 === 0 ? 'http' : 'tcp';
    const card =
      path === 'declined'
        ? '4000000000000002'
        : path === 'insufficient-funds'
          ? '4000000000009995'
          : path === 'gateway-errors'
            ? '4000000000000119'
            : '4242424242424242';
    return {
      customerId: `batch-${batchTag}-${index % 17}`,
      items: path === 'out-of-stock' ? [{ sku: scarce, quantity: 5 }] : [{ sku: plentiful[index % 2]!, quantity: 1 + (index % 3) }],
      payment: { channel, cardNumber: card },
      shippingAddress:
        index % 3 === 0
          ? {
              name: 'Alex Smith',
              line1: '221B Baker Street',
              city: 'London',
              postalCode: path === 'undeliverable' ? '00000' : 'NW1 6XE',
              country: 'GB',
            }
          : {
              name: '박지훈',
              line1: '테헤란로 152',
              city: '서울',
              postalCode: path === 'undeliverable' ? '99999' : '06236',
              country: 'KR',
            },
    };
  }

  const submitted: { orderId: string; path: Path }[] = [];
  const rejectedAtGateway: string[] = [];
  // Four clients at once: a steady stream the estate absorbs on two cores, not a stampede.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let index = next++; index < BATCH_SIZE; index = next++) {
        const path = paths[index % paths.length]!;
        const answer = await submitOrder(orderFor(index, path));
        if (answer.status !== 202) {
          rejectedAtGateway.push(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
          continue;
        }
        submitted.push({ orderId: answer.body.orderId, path });
        if (path === 'cancel') {
          const cancel = await fetch(`${gatewayUrl}/orders/${answer.body.orderId}/cancel`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(await asOwnerOf(answer.body.orderId)) },
            body: '{}',
          });
          t.true([202, 409].includes(cancel.status), `cancel answered ${cancel.status}: ${await cancel.text()}`);
        }
      }
    }),
  );
  t.deepEqual(rejectedAtGateway, []);
  t.is(submitted.length, BATCH_SIZE);

  const report = await checkInvariants(
    submitted.map((order) => order.orderId),
    { deadlineMs: 180_000 },
  );
  t.deepEqual(report.violations, []);
  t.is(report.ordersChecked, BATCH_SIZE);
  t.log(`terminal statuses: ${JSON.stringify(report.byStatus)}`);
  for (const status of ['COMPLETED', 'PAYMENT_DECLINED', 'REJECTED', 'FAILED', 'CANCELLED']) {
    t.true((report.byStatus[status] ?? 0) > 0, `the batch reached ${status}`);
  }
});
