/**
 * The demo triggers: the inputs that steer an order down a known path, defined once. The payment
 * simulator decides with the test cards, fulfillment refuses the undeliverable postal codes, the
 * catalogue stocks a deliberately scarce product, and the demo customers have their notification
 * preferences. The seed, the demo batch, the load generator, the benchmarks and the workflow tests'
 * fake estate all read them from here, so a trigger cannot mean one thing in one place and another
 * elsewhere. docs/payment-telegram.md prints the card table (a unit test keeps the two in step);
 * docs/saga.md describes the paths.
 */
import type { DeclineCode } from './decline-codes.js';

export type CardDecision =
  | { kind: 'approve' }
  | { kind: 'decline'; declineCode: DeclineCode }
  /** The gateway fails to process (HTTP 500, telegram 0096): nothing is charged, a retry may succeed. */
  | { kind: 'processing_error' };

export interface TestCard {
  number: string;
  behaviour: string;
  decision: CardDecision;
}

/** The test cards that steer the simulator's answer, on both lines (HTTP and TCP). */
export const testCards: readonly TestCard[] = [
  { number: '4242424242424242', behaviour: 'approved', decision: { kind: 'approve' } },
  {
    number: '4000000000000002',
    behaviour: 'generic decline',
    decision: { kind: 'decline', declineCode: 'generic_decline' },
  },
  {
    number: '4000000000009995',
    behaviour: 'insufficient funds',
    decision: { kind: 'decline', declineCode: 'insufficient_funds' },
  },
  { number: '4000000000000069', behaviour: 'expired card', decision: { kind: 'decline', declineCode: 'expired_card' } },
  {
    number: '4000000000000127',
    behaviour: 'incorrect CVC (reported as invalid card)',
    decision: { kind: 'decline', declineCode: 'invalid_card' },
  },
  {
    number: '4000000000000119',
    behaviour: 'processing error (HTTP 500 / telegram 0096, retryable)',
    decision: { kind: 'processing_error' },
  },
];

function testCard(describe: string, matches: (decision: CardDecision) => boolean): string {
  const card = testCards.find((candidate) => matches(candidate.decision));
  if (!card) throw new Error(`the test cards have no ${describe} card any more; the demos and the load generator need one`);
  return card.number;
}

/** The cards the demo batch, the load generator and the workflow tests steer with, by what they do. */
export const demoCards = {
  approved: testCard('approving', (decision) => decision.kind === 'approve'),
  declined: testCard('generic-decline', (decision) => decision.kind === 'decline' && decision.declineCode === 'generic_decline'),
  insufficientFunds: testCard(
    'insufficient-funds',
    (decision) => decision.kind === 'decline' && decision.declineCode === 'insufficient_funds',
  ),
};

/**
 * Postal codes no carrier delivers to. Ordering to one is the documented way to make fulfillment
 * fail on purpose (demos, tests): the saga then voids the payment and releases the stock.
 */
export const UNDELIVERABLE_POSTAL_CODES: ReadonlySet<string> = new Set(['00000', '99999']);

/** The postal code the demos order to when they want fulfillment to fail (99999 today). */
export const undeliverablePostalCode = [...UNDELIVERABLE_POSTAL_CODES].sort().at(-1)!;

/**
 * Postal codes where the carrier loses every parcel (사, "four", sounds like 死): ordering to one is
 * the documented way to see the after-sale compensation. The order completes as usual, the shipment
 * is SHIPPED and then LOST instead of DELIVERED, and the order service refunds the payment through
 * the payment line: the order ends REFUNDED (docs/saga.md#a-shipments-life).
 */
export const LOST_PARCEL_POSTAL_CODES: ReadonlySet<string> = new Set(['44444']);

/** The postal code the demos and tests order to when they want the carrier to lose the parcel. */
export const lostParcelPostalCode = [...LOST_PARCEL_POSTAL_CODES][0]!;

/** The demo catalogue: 24 products a Korean shop might sell, prices in won, with starting stock. */
export const catalogue: { sku: string; name: string; unitPriceMinor: number; quantity: number }[] = [
  { sku: 'KB-001', name: '기계식 키보드 (Mechanical keyboard)', unitPriceMinor: 129_000, quantity: 500 },
  { sku: 'MS-002', name: '무선 마우스 (Wireless mouse)', unitPriceMinor: 39_000, quantity: 800 },
  { sku: 'MN-003', name: '27인치 모니터 (27" monitor)', unitPriceMinor: 349_000, quantity: 200 },
  { sku: 'HP-004', name: '노이즈캔슬링 헤드폰 (ANC headphones)', unitPriceMinor: 289_000, quantity: 300 },
  { sku: 'CB-005', name: 'USB-C 케이블 (USB-C cable)', unitPriceMinor: 12_000, quantity: 2000 },
  { sku: 'CH-006', name: '고속 충전기 (Fast charger)', unitPriceMinor: 29_000, quantity: 1000 },
  { sku: 'SS-007', name: '외장 SSD 1TB (External SSD)', unitPriceMinor: 159_000, quantity: 400 },
  { sku: 'WC-008', name: '웹캠 (Webcam)', unitPriceMinor: 79_000, quantity: 400 },
  { sku: 'MP-009', name: '마우스패드 (Mouse pad)', unitPriceMinor: 15_000, quantity: 1500 },
  { sku: 'LS-010', name: '노트북 거치대 (Laptop stand)', unitPriceMinor: 45_000, quantity: 600 },
  { sku: 'TB-011', name: '텀블러 (Tumbler)', unitPriceMinor: 25_000, quantity: 1200 },
  { sku: 'TE-012', name: '녹차 세트 (Green tea set)', unitPriceMinor: 32_000, quantity: 900 },
  { sku: 'RC-013', name: '전기밥솥 (Rice cooker)', unitPriceMinor: 219_000, quantity: 150 },
  { sku: 'KM-014', name: '김치냉장고 필터 (Kimchi fridge filter)', unitPriceMinor: 18_000, quantity: 700 },
  { sku: 'BK-015', name: '책: 한국어 문법 (Korean grammar book)', unitPriceMinor: 22_000, quantity: 1000 },
  { sku: 'PN-016', name: '만년필 (Fountain pen)', unitPriceMinor: 68_000, quantity: 350 },
  { sku: 'NB-017', name: '노트 3권 (Notebooks, 3-pack)', unitPriceMinor: 9_000, quantity: 2500 },
  { sku: 'UM-018', name: '장우산 (Umbrella)', unitPriceMinor: 27_000, quantity: 800 },
  { sku: 'SK-019', name: '양말 5켤레 (Socks, 5 pairs)', unitPriceMinor: 14_000, quantity: 3000 },
  { sku: 'BP-020', name: '백팩 (Backpack)', unitPriceMinor: 89_000, quantity: 500 },
  { sku: 'LT-021', name: 'LED 스탠드 (LED desk lamp)', unitPriceMinor: 54_000, quantity: 450 },
  { sku: 'SP-022', name: '블루투스 스피커 (Bluetooth speaker)', unitPriceMinor: 99_000, quantity: 350 },
  { sku: 'PB-023', name: '보조배터리 (Power bank)', unitPriceMinor: 35_000, quantity: 900 },
  // Deliberately scarce: orders for it run out of stock in demos and tests (scarceProduct below).
  { sku: 'LTD-024', name: '한정판 피규어 (Limited-edition figure)', unitPriceMinor: 150_000, quantity: 3 },
];

/** The product the catalogue stocks least of (LTD-024, a handful): ordering more than it ever had is always refused. */
export const scarceProduct = catalogue.reduce((least, product) => (product.quantity < least.quantity ? product : least));

/** Demo customers and how they like to hear from us (the notification service's preferences). */
export const demoCustomers: { customerId: string; channel: 'email' | 'sms' | 'push'; locale: 'ko' | 'en'; recipient: string }[] = [
  { customerId: 'cust-kim', channel: 'sms', locale: 'ko', recipient: '+82-10-1234-5678' },
  { customerId: 'cust-lee', channel: 'email', locale: 'ko', recipient: 'lee@example.kr' },
  { customerId: 'cust-park', channel: 'push', locale: 'ko', recipient: 'device-park-01' },
  { customerId: 'cust-smith', channel: 'email', locale: 'en', recipient: 'smith@example.com' },
  { customerId: 'cust-garcia', channel: 'push', locale: 'en', recipient: 'device-garcia-01' },
];
