/**
 * How the simulator decides a card, on both lines (HTTP and TCP): the test cards
 * (platform/contracts/demo-triggers.ts) first, then the Luhn check.
 */
import { luhnValid } from '../platform/card.js';
import { testCards, type CardDecision } from '../platform/contracts/demo-triggers.js';

const byNumber = new Map(testCards.map((card) => [card.number, card.decision]));

/** Any other number: approved when its Luhn check digit is right, otherwise an invalid-card decline. */
export function decideCard(cardNumber: string): CardDecision {
  return byNumber.get(cardNumber) ?? (passesLuhn(cardNumber) ? { kind: 'approve' } : { kind: 'decline', declineCode: 'invalid_card' });
}

/** A card number's length (2 to 19 digits) and its Luhn check digit are right. */
export function passesLuhn(cardNumber: string): boolean {
  return /^\d{2,19}$/.test(cardNumber) && luhnValid(cardNumber);
}
