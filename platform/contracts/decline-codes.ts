/**
 * Why a card was declined, in words both payment lines share. The HTTP API puts one of these in
 * `declineCode`; the TCP 전문 line maps each to exactly one response code (telegram/response-codes.ts),
 * so an order declined over either line reports the same reason.
 */
export const declineCodes = ['generic_decline', 'insufficient_funds', 'expired_card', 'invalid_card'] as const;

export type DeclineCode = (typeof declineCodes)[number];

export const declineMessages: Record<DeclineCode, string> = {
  generic_decline: 'The card was declined by its issuer.',
  insufficient_funds: 'The card has insufficient funds to complete the purchase.',
  expired_card: 'The card has expired.',
  invalid_card: 'The card number, expiry or security code is not valid.',
};
