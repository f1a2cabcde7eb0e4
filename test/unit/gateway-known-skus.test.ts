/**
 * The gateway asks the inventory service about a SKU only when it has not lately seen it in the
 * catalogue (gateway/known-skus.ts): a second order for the same products makes no catalogue call,
 * an unknown SKU is asked about (and refused) every time, and a remembered SKU is asked about again
 * once its time is up.
 */
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { KnownSkus } from '../../gateway/known-skus.js';
import { mintToken } from '../../platform/identity.js';
import { validOrderBody } from '../support/fixtures.js';
import { gatewayOptions, standInCatalogue, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';

let standIns: StandIns;
test.before(async () => {
  standIns = await startStandIns();
});
test.after.always(() => standIns.close());

const catalogueCalls = (from: number) =>
  standIns.received.slice(from).filter((request) => request.service === 'inventory' && request.url.startsWith('/products'));

async function submit(gateway: ReturnType<typeof createGatewayApp>, sku: string): Promise<number> {
  const answer = await gateway.request('http://gateway.test/orders', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, customerId: 'cust-skus' })}`,
    },
    body: JSON.stringify(validOrderBody({ customerId: 'cust-skus', items: [{ sku, quantity: 1 }] })),
  });
  return answer.status;
}

test.serial('a second order for known products makes no catalogue call; an unknown SKU is asked about each time', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns));
  const sku = standInCatalogue[0]!;
  const before = standIns.received.length;
  t.is(await submit(gateway, sku), 202);
  t.is(await submit(gateway, sku), 202);
  t.is(catalogueCalls(before).length, 1, 'the first order asked, the second did not');

  const unknownFrom = standIns.received.length;
  t.is(await submit(gateway, 'NO-SUCH-SKU'), 422);
  t.is(await submit(gateway, 'NO-SUCH-SKU'), 422);
  t.is(catalogueCalls(unknownFrom).length, 2, 'an unknown SKU is never remembered');
});

test('a remembered SKU is asked about again once its time is up, and the memory is bounded', (t) => {
  let now = 0;
  const known = new KnownSkus(1_000, 2, () => now);
  known.remember(['A', 'B']);
  t.deepEqual(known.notKnown(['A', 'B', 'C']), ['C']);
  now = 1_001;
  t.deepEqual(known.notKnown(['A', 'B']), ['A', 'B']);
  known.remember(['A', 'B', 'C']);
  t.deepEqual(known.notKnown(['A', 'B', 'C']), ['A'], 'past the bound the oldest is forgotten');
});
