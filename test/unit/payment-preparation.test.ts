/**
 * Payment preparation (activities/payment/preparation.ts): the Luhn check, risk screening and
 * pricing that run before any authorization.
 */
import test from 'ava';
import fc from 'fast-check';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { cardBrand, luhnValid, PaymentPreparation, RISK_LIMIT_MINOR } from '../../activities/payment/preparation.js';
import { setServiceNodeSpanProcessor } from '../../platform/telemetry/service-node.js';
import type { OrderRequest } from '../../platform/contracts/order.js';
import { validOrder } from '../support/fixtures.js';

// Virtual-node spans go to memory, never to a collector.
const spans = new InMemorySpanExporter();
setServiceNodeSpanProcessor(() => new SimpleSpanProcessor(spans));

const preparation = new PaymentPreparation();

function orderTo(country: string, cardNumber = '4242424242424242'): OrderRequest {
  const order = validOrder();
  return { ...order, payment: { ...order.payment, cardNumber }, shippingAddress: { ...order.shippingAddress, country } };
}

/** The Luhn check digit for `payload`, computed independently of the code under test. */
function checkDigitFor(payload: number[]): number {
  let sum = 0;
  // With the check digit appended, the payload's last digit is the second from the right: doubled.
  [...payload].reverse().forEach((digit, index) => {
    const doubled = index % 2 === 0 ? digit * 2 : digit;
    sum += doubled > 9 ? doubled - 9 : doubled;
  });
  return (10 - (sum % 10)) % 10;
}

test('the Stripe test cards pass the Luhn check', (t) => {
  for (const card of ['4242424242424242', '4000000000000002', '4000000000009995', '5555555555554444', '378282246310005']) {
    t.true(luhnValid(card), card);
  }
});

test('numbers with a wrong check digit, or no digits, fail the Luhn check', (t) => {
  for (const card of ['4242424242424241', '4000000000000003', '4000000000009990', '1234567812345678', '', 'abcd', '4242-4242']) {
    t.false(luhnValid(card), JSON.stringify(card));
  }
});

test('property: appending the right check digit to any digit string makes it valid', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 30 }), (payload) => {
        return luhnValid(`${payload.join('')}${checkDigitFor(payload)}`);
      }),
      { numRuns: 500 },
    ),
  );
});

test('property: changing any one digit of a valid number makes it invalid', (t) => {
  const validNumberAndChange = fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 30 })
    .map((payload) => [...payload, checkDigitFor(payload)])
    .chain((digits) => fc.tuple(fc.constant(digits), fc.integer({ min: 0, max: digits.length - 1 }), fc.integer({ min: 1, max: 9 })));
  t.notThrows(() =>
    fc.assert(
      fc.property(validNumberAndChange, ([digits, position, shift]) => {
        const changed = [...digits];
        changed[position] = (changed[position]! + shift) % 10;
        return luhnValid(digits.join('')) && !luhnValid(changed.join(''));
      }),
      { numRuns: 500 },
    ),
  );
});

test('cardBrand recognises the major prefixes', (t) => {
  t.is(cardBrand('4242424242424242'), 'visa');
  t.is(cardBrand('5555555555554444'), 'mastercard');
  t.is(cardBrand('2223003122003222'), 'mastercard');
  t.is(cardBrand('378282246310005'), 'amex');
  t.is(cardBrand('9410000000000000'), 'local');
  t.is(cardBrand('6011111111111117'), 'other');
});

test('an invalid card is declined as invalid_card before risk or pricing', async (t) => {
  const outcome = await preparation.prepare(orderTo('KR', '4242424242424241'), RISK_LIMIT_MINOR * 2, 'KRW');
  t.like(outcome, { outcome: 'declined', declineCode: 'invalid_card' });
  if (outcome.outcome === 'declined') t.regex(outcome.reason, /Luhn/);
});

test('a basket over RISK_LIMIT_MINOR is declined; one exactly at the limit is not', async (t) => {
  const over = await preparation.prepare(orderTo('KR'), RISK_LIMIT_MINOR + 1, 'KRW');
  t.like(over, { outcome: 'declined', declineCode: 'risk_limit_exceeded' });
  if (over.outcome === 'declined') t.regex(over.reason, /risk score \d+/);

  const atLimit = await preparation.prepare(orderTo('KR'), RISK_LIMIT_MINOR, 'KRW');
  t.deepEqual(atLimit, { outcome: 'ready', amountMinor: RISK_LIMIT_MINOR, currency: 'KRW', cardBrand: 'visa' });
});

test('domestic orders pay 3,000 shipping below 50,000 and nothing from 50,000', async (t) => {
  const cases: [subtotal: number, amount: number][] = [
    [0, 3_000],
    [12_900, 15_900],
    [49_999, 52_999],
    [50_000, 50_000],
    [129_000, 129_000],
  ];
  for (const [subtotal, amount] of cases) {
    const outcome = await preparation.prepare(orderTo('KR'), subtotal, 'KRW');
    t.deepEqual(outcome, { outcome: 'ready', amountMinor: amount, currency: 'KRW', cardBrand: 'visa' }, `subtotal ${subtotal}`);
  }
});

test('international orders always pay 25,000 shipping', async (t) => {
  for (const [country, subtotal] of [
    ['US', 10_000],
    ['JP', 50_000],
    ['DE', 1_000_000],
  ] as const) {
    const outcome = await preparation.prepare(orderTo(country), subtotal, 'KRW');
    t.deepEqual(outcome, { outcome: 'ready', amountMinor: subtotal + 25_000, currency: 'KRW', cardBrand: 'visa' }, country);
  }
});

test('risk scores rise with the basket and for shipping abroad', async (t) => {
  const domestic = await preparation.screenRisk(RISK_LIMIT_MINOR / 2, 'KR');
  const abroad = await preparation.screenRisk(RISK_LIMIT_MINOR / 2, 'US');
  t.deepEqual(domestic, { approved: true, score: 40 });
  t.deepEqual(abroad, { approved: true, score: 55 });
  t.is((await preparation.screenRisk(RISK_LIMIT_MINOR * 10, 'US')).score, 100, 'the score is capped at 100');
});

// Serial: AVA runs serial tests before the concurrent ones, so no other test's spans interleave.
test.serial('each preparation step is reported as its own virtual service node', async (t) => {
  if (process.env.OTEL_SDK_DISABLED === 'true') return t.pass('telemetry disabled in this environment');
  spans.reset();
  await preparation.prepare(orderTo('KR'), 10_000, 'KRW');
  const seen = spans.getFinishedSpans().map((span) => [span.resource.attributes['service.name'], span.name]);
  t.deepEqual(seen, [
    ['payment-validation', 'validateCard'],
    ['payment-risk', 'screenRisk'],
    ['payment-pricing', 'quotePrice'],
  ]);
});
