/**
 * The orders the load generator builds (loadgen/scenarios.ts, loadgen/customers.ts): valid under the
 * order contract, and steering the saga with the estate's own levers.
 */
import test from 'ava';
import { orderRequestSchema } from '../../platform/contracts/order.js';
import { catalogue, demoCustomers, scarceProduct, UNDELIVERABLE_POSTAL_CODES } from '../../platform/contracts/demo-triggers.js';
import { decideCard } from '../../payment-sim/test-cards.js';
import { customerPool } from '../../loadgen/customers.js';
import { seededRandom } from '../../loadgen/random.js';
import { createOrderFactory, scenarios, type LoadOrder, type Scenario } from '../../loadgen/scenarios.js';

const HANGUL = /[\uac00-\ud7a3]/;

function ordersOf(scenario: Scenario, count = 300, tcpShare = 0.5, basketSkus?: string[]): LoadOrder[] {
  const random = seededRandom(11);
  const factory = createOrderFactory({ customers: customerPool(40, random), tcpShare, random, ...(basketSkus ? { basketSkus } : {}) });
  return Array.from({ length: count }, () => factory(scenario));
}

const digits = (cardNumber: string) => cardNumber.replace(/\s/g, '');

test('every scenario builds orders the gateway accepts', (t) => {
  for (const scenario of scenarios) {
    for (const { order } of ordersOf(scenario, 100)) {
      const parsed = orderRequestSchema.safeParse(order);
      t.true(parsed.success, `${scenario}: ${JSON.stringify(order)} ${parsed.success ? '' : parsed.error.message}`);
    }
  }
});

test('ordinary baskets: 1–4 distinct catalogue lines of 1–3 units, never the scarce product', (t) => {
  const known = new Set(catalogue.map((product) => product.sku));
  const sizes = new Set<number>();
  for (const { order } of ordersOf('happy', 500)) {
    sizes.add(order.items.length);
    t.true(order.items.length >= 1 && order.items.length <= 4);
    t.is(new Set(order.items.map((item) => item.sku)).size, order.items.length);
    for (const item of order.items) {
      t.true(known.has(item.sku));
      t.not(item.sku, scarceProduct.sku);
      t.true(item.quantity >= 1 && item.quantity <= 3);
    }
    t.is(decideCard(digits(order.payment.cardNumber)).kind, 'approve');
    t.false(UNDELIVERABLE_POSTAL_CODES.has(order.shippingAddress.postalCode));
  }
  t.deepEqual([...sizes].sort(), [1, 2, 3, 4]);
});

test('the decline scenarios use the simulator’s decline test cards', (t) => {
  for (const { order } of ordersOf('decline', 50))
    t.like(decideCard(digits(order.payment.cardNumber)), { kind: 'decline', declineCode: 'generic_decline' });
  for (const { order } of ordersOf('insufficient', 50))
    t.like(decideCard(digits(order.payment.cardNumber)), { kind: 'decline', declineCode: 'insufficient_funds' });
});

test('out-of-stock orders ask for more of the scarce product than was ever stocked', (t) => {
  t.is(scarceProduct.sku, 'LTD-024');
  for (const { order } of ordersOf('out-of-stock', 100)) {
    const scarce = order.items.find((item) => item.sku === scarceProduct.sku);
    t.truthy(scarce);
    t.true(scarce!.quantity > scarceProduct.quantity);
  }
});

test('undeliverable orders ship to a postal code no carrier serves', (t) => {
  for (const { order } of ordersOf('undeliverable', 50)) t.true(UNDELIVERABLE_POSTAL_CODES.has(order.shippingAddress.postalCode));
});

test('--tcp-share sets the payment channel', (t) => {
  t.true(ordersOf('happy', 100, 0).every(({ order }) => order.payment.channel === 'http'));
  t.true(ordersOf('happy', 100, 1).every(({ order }) => order.payment.channel === 'tcp'));
  const tcp = ordersOf('happy', 2_000, 0.3).filter(({ order }) => order.payment.channel === 'tcp').length / 2_000;
  t.true(Math.abs(tcp - 0.3) < 0.05, `${tcp}`);
});

test('the customer pool starts with the demo customers, then Korean and English customers with fitting addresses', (t) => {
  const pool = customerPool(300, seededRandom(3));
  t.deepEqual(
    pool.slice(0, demoCustomers.length).map((customer) => customer.customerId),
    demoCustomers.map((customer) => customer.customerId),
  );
  t.is(pool[0]!.name.charAt(0), '김');
  t.regex(pool[3]!.name, / Smith$/);
  t.is(new Set(pool.map((customer) => customer.customerId)).size, 300);
  const korean = pool.filter((customer) => customer.locale === 'ko');
  const english = pool.filter((customer) => customer.locale === 'en');
  t.true(korean.length > 150 && english.length > 40);
  for (const customer of korean) {
    t.regex(customer.name, HANGUL);
    t.regex(customer.home.line1, HANGUL);
    t.regex(customer.home.city, /(특별시|광역시|특별자치도)$/);
    t.regex(customer.home.postalCode, /^\d{5}$/);
    t.is(customer.home.country, 'KR');
  }
  for (const customer of english) {
    t.notRegex(customer.name, HANGUL);
    t.true(customer.home.country === 'GB' || customer.home.country === 'US');
    t.regex(customer.home.postalCode, customer.home.country === 'GB' ? /^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$/ : /^\d{5}$/);
  }
  t.true(english.some((customer) => customer.home.country === 'GB') && english.some((customer) => customer.home.country === 'US'));
});

test('a customer usually ships home, in the same country otherwise', (t) => {
  const orders = ordersOf('happy', 500);
  const home = orders.filter(({ customer, order }) => order.shippingAddress === customer.home).length / orders.length;
  t.true(home > 0.7 && home < 0.9, `${home}`);
  t.true(
    orders.every(
      ({ customer, order }) => order.shippingAddress.country === customer.home.country && order.shippingAddress.name === customer.name,
    ),
  );
});

test('baskets can be limited to the products still in stock', (t) => {
  for (const { order } of ordersOf('happy', 200, 0.5, ['KB-001', 'MS-002'])) {
    t.true(order.items.every((item) => item.sku === 'KB-001' || item.sku === 'MS-002'));
  }
});

test('the same seed builds the same orders', (t) => {
  const strip = (orders: LoadOrder[]) => orders.map(({ order }) => order);
  t.deepEqual(strip(ordersOf('happy', 20)), strip(ordersOf('happy', 20)));
});
