/**
 * The kinds of order the load is made of, and how each is built. Every scenario steers the saga with
 * the estate's own documented levers, imported from where they are defined: the test cards of the
 * payment simulator, the catalogue's deliberately scarce product, and the postal codes fulfillment
 * refuses. No lever is copied here.
 */
import { randomUUID } from 'node:crypto';
import type { OrderLine, OrderRequest, PaymentChannel, TerminalStatus } from '../platform/contracts/order.js';
import { catalogue, demoCards, scarceProduct, undeliverablePostalCode } from '../platform/contracts/demo-triggers.js';
import { shippingAddressFor, type LoadCustomer } from './customers.js';
import { chooseWeighted, integerBetween, pickOne, type Random } from './random.js';

export const scenarios = ['happy', 'decline', 'insufficient', 'out-of-stock', 'undeliverable', 'cancel'] as const;
export type Scenario = (typeof scenarios)[number];

export function isScenario(name: string): name is Scenario {
  return (scenarios as readonly string[]).includes(name);
}

/**
 * Where each scenario's saga should end. A cancel that reaches the order after it finished (or an
 * estate without cancellation) leaves it COMPLETED; the summary shows both.
 */
export const expectedStatus: Record<Scenario, TerminalStatus> = {
  happy: 'COMPLETED',
  decline: 'PAYMENT_DECLINED',
  insufficient: 'PAYMENT_DECLINED',
  'out-of-stock': 'REJECTED',
  undeliverable: 'FAILED',
  cancel: 'CANCELLED',
};

/** Lines per basket and units per line, weighted toward small baskets as in a real shop. */
const linesPerBasket = [
  { value: 1, weight: 50 },
  { value: 2, weight: 30 },
  { value: 3, weight: 15 },
  { value: 4, weight: 5 },
];
const unitsPerLine = [
  { value: 1, weight: 70 },
  { value: 2, weight: 20 },
  { value: 3, weight: 10 },
];

export interface LoadOrder {
  scenario: Scenario;
  customer: LoadCustomer;
  order: OrderRequest;
  /** Sent as `Idempotency-Key`, as a well-behaved client does. */
  idempotencyKey: string;
}

export interface OrderFactoryOptions {
  customers: readonly LoadCustomer[];
  /** Share of orders paid over the legacy TCP line, 0..1. */
  tcpShare: number;
  random: Random;
  /** SKUs an ordinary basket may hold; default: the whole catalogue but the scarce product. */
  basketSkus?: readonly string[];
}

export type OrderFactory = (scenario: Scenario) => LoadOrder;

export function createOrderFactory(options: OrderFactoryOptions): OrderFactory {
  const { customers, random, tcpShare } = options;
  if (customers.length === 0) throw new Error('the customer pool is empty');
  const allowed = new Set(options.basketSkus ?? catalogue.map((product) => product.sku));
  // Well-stocked products sell more: weighting by starting stock spreads the load the way stock was planned.
  const products = catalogue
    .filter((product) => product.sku !== scarceProduct.sku && allowed.has(product.sku))
    .map((product) => ({ value: product.sku, weight: product.quantity }));
  if (products.length === 0) throw new Error('no catalogue product is left to put in a basket');

  function basket(): OrderLine[] {
    const wanted = Math.min(chooseWeighted(linesPerBasket, random()), products.length);
    const skus = new Set<string>();
    while (skus.size < wanted) skus.add(chooseWeighted(products, random()));
    return [...skus].map((sku) => ({ sku, quantity: chooseWeighted(unitsPerLine, random()) }));
  }

  function payment(cardNumber: string): OrderRequest['payment'] {
    const channel: PaymentChannel = random() < tcpShare ? 'tcp' : 'http';
    // Some customers type the number in groups of four; the gateway strips the spaces.
    const typed = random() < 0.25 ? cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ') : cardNumber;
    return { channel, cardNumber: typed };
  }

  return (scenario) => {
    const customer = pickOne(random, customers);
    let items = basket();
    let cardNumber = demoCards.approved;
    let shippingAddress = shippingAddressFor(customer, random);
    switch (scenario) {
      case 'decline':
        cardNumber = demoCards.declined;
        break;
      case 'insufficient':
        cardNumber = demoCards.insufficientFunds;
        break;
      case 'out-of-stock': {
        // More of the scarce product than was ever stocked, sometimes next to an ordinary line.
        const quantity = Math.min(100, scarceProduct.quantity + integerBetween(random, 1, 10));
        items = [{ sku: scarceProduct.sku, quantity }, ...items.slice(0, integerBetween(random, 0, 1))];
        break;
      }
      case 'undeliverable':
        shippingAddress = { ...shippingAddress, postalCode: undeliverablePostalCode };
        break;
      case 'happy':
      case 'cancel':
        break;
    }
    return {
      scenario,
      customer,
      idempotencyKey: randomUUID(),
      order: { customerId: customer.customerId, items, payment: payment(cardNumber), shippingAddress },
    };
  };
}
