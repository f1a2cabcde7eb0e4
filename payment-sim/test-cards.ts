/**
 * The one table of test cards that steer the simulator's answer, on both lines (HTTP and TCP).
 * docs/payment-telegram.md prints the same table; a unit test keeps the two in step.
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

const byNumber = new Map(testCards.map((card) => [card.number, card.decision]));

/** Any other number: approved when its Luhn check digit is right, otherwise an invalid-card decline. */
export function decideCard(cardNumber: string): CardDecision {
  return (
    byNumber.get(cardNumber) ??
    (passesLuhn(cardNumber) ? { kind: 'approve' } : { kind: 'decline', declineCode: 'invalid_card' })
  );
}

export function passesLuhn(cardNumber: string): boolean {
  if (!/^\d{2,19}$/.test(cardNumber)) return false;
  let sum = 0;
  for (let index = 0; index < cardNumber.length; index += 1) {
    let digit = cardNumber.charCodeAt(cardNumber.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
