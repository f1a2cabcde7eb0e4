/**
 * Card numbers stop at the gateway (gateway/app.ts, docs/decisions.md "Card data"), in process
 * against stand-in services: the number goes to payment-sim's vault and nowhere else; the order
 * service gets the token and the last four digits; an order refused at the edge vaults nothing; a
 * vault that does not answer is a 503 naming the service, and no order is relayed.
 */
import test from 'ava';
import { createGatewayApp } from '../../gateway/app.js';
import { CARD_TOKEN_PATTERN } from '../../platform/contracts/order.js';
import { mintToken } from '../../platform/identity.js';
import { gatewayOptions, startStandIns, type StandIns, TEST_SECRET } from '../support/stand-in-services.js';
import { validOrderBody } from '../support/fixtures.js';

let standIns: StandIns;
const authorization = async (customerId: string) => `Bearer ${await mintToken({ secret: TEST_SECRET, customerId })}`;

test.before(async () => {
  standIns = await startStandIns();
});
test.after.always(() => standIns.close());

const since = (count: number) => standIns.received.slice(count);

test('the order service gets the token and the last four digits; only the vault sees the number', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns));
  const before = standIns.received.length;
  const body = { ...validOrderBody({ customerId: 'cust-card' }), payment: { channel: 'tcp', cardNumber: '4242 4242 4242 4242' } };
  const answer = await gateway.request('http://gateway.test/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await authorization('cust-card') },
    body: JSON.stringify(body),
  });
  t.is(answer.status, 202);
  const received = since(before);
  const vaulted = received.filter((request) => request.service === 'payment-sim');
  t.deepEqual(
    vaulted.map((request) => `${request.method} ${request.url}`),
    ['POST /vault/cards'],
  );
  t.is(
    (JSON.parse(vaulted[0]!.body) as { cardNumber: unknown }).cardNumber,
    '4242424242424242',
    'the vault gets the digits, separators dropped',
  );
  const relayed = received.find((request) => request.service === 'order' && request.method === 'POST');
  const payment = (JSON.parse(relayed!.body) as { payment: Record<string, unknown> }).payment;
  t.deepEqual(Object.keys(payment).sort(), ['brand', 'cardToken', 'channel', 'last4', 'luhnValid']);
  t.regex(String(payment.cardToken), CARD_TOKEN_PATTERN);
  t.like(payment, { channel: 'tcp', last4: '4242' });
  const elsewhere = received.filter((request) => request.service !== 'payment-sim');
  t.false(
    elsewhere.some((request) => /4242\D?4242\D?4242\D?4242/.test(request.body + request.url + JSON.stringify(request.headers))),
    'no other service sees the number',
  );
});

test('an order refused at the edge vaults nothing', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns));
  const before = standIns.received.length;
  const body = validOrderBody({ customerId: 'cust-card', items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] });
  const answer = await gateway.request('http://gateway.test/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await authorization('cust-card') },
    body: JSON.stringify(body),
  });
  t.is(answer.status, 422);
  t.false(since(before).some((request) => request.service === 'payment-sim'));
});

test('a vault that does not answer is a 503 naming the service, never its address; no order is relayed', async (t) => {
  const gateway = createGatewayApp(gatewayOptions(standIns, { PAYMENT_VAULT_URL: 'http://vault.internal.example:1' }));
  const before = standIns.received.length;
  const answer = await gateway.request('http://gateway.test/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await authorization('cust-card') },
    body: JSON.stringify(validOrderBody({ customerId: 'cust-card' })),
  });
  t.is(answer.status, 503);
  const text = await answer.text();
  t.regex(text, /payment-sim/);
  t.false(text.includes('vault.internal.example'));
  t.false(since(before).some((request) => request.service === 'order' && request.method === 'POST'));
});
