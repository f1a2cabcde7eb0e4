/**
 * Payment preparation: the three method-level steps before an authorization (validate, screen,
 * price). Each is a virtual service node, so the APM's dependency map shows them as services.
 */
import { ServiceNode } from '../../platform/telemetry/service-node.js';
import type { OrderRequest } from '../../platform/contracts/order.js';

export type PreparationOutcome =
  | { outcome: 'ready'; amountMinor: number; currency: string; cardBrand: string }
  | { outcome: 'declined'; declineCode: string; reason: string };

/** Orders above this total (in won) need a manual review this simulator does not do: they are declined. */
export const RISK_LIMIT_MINOR = 10_000_000;
const DOMESTIC_SHIPPING_MINOR = 3_000;
const FREE_DOMESTIC_SHIPPING_FROM_MINOR = 50_000;
const INTERNATIONAL_SHIPPING_MINOR = 25_000;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export function cardBrand(cardNumber: string): string {
  if (cardNumber.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(cardNumber)) return 'mastercard';
  if (/^3[47]/.test(cardNumber)) return 'amex';
  if (cardNumber.startsWith('9')) return 'local';
  return 'other';
}

export class PaymentPreparation {
  @ServiceNode('payment-validation')
  async validateCard(cardNumber: string): Promise<{ valid: true; brand: string } | { valid: false; reason: string }> {
    if (!luhnValid(cardNumber)) return { valid: false, reason: 'card number fails the Luhn check' };
    return { valid: true, brand: cardBrand(cardNumber) };
  }

  @ServiceNode('payment-risk')
  async screenRisk(subtotalMinor: number, country: string): Promise<{ approved: boolean; score: number }> {
    // A deliberately simple, deterministic rule set: large baskets and shipping abroad raise the score.
    const score = Math.min(100, Math.round((subtotalMinor / RISK_LIMIT_MINOR) * 80) + (country === 'KR' ? 0 : 15));
    return { approved: subtotalMinor <= RISK_LIMIT_MINOR, score };
  }

  @ServiceNode('payment-pricing')
  async quotePrice(subtotalMinor: number, country: string): Promise<{ amountMinor: number; shippingMinor: number }> {
    const shippingMinor =
      country !== 'KR' ? INTERNATIONAL_SHIPPING_MINOR : subtotalMinor >= FREE_DOMESTIC_SHIPPING_FROM_MINOR ? 0 : DOMESTIC_SHIPPING_MINOR;
    return { amountMinor: subtotalMinor + shippingMinor, shippingMinor };
  }

  /** Runs the three steps in order; the first that says no decides the outcome. */
  async prepare(order: OrderRequest, subtotalMinor: number, currency: string): Promise<PreparationOutcome> {
    const card = await this.validateCard(order.payment.cardNumber);
    if (!card.valid) return { outcome: 'declined', declineCode: 'invalid_card', reason: card.reason };
    const risk = await this.screenRisk(subtotalMinor, order.shippingAddress.country);
    if (!risk.approved) {
      return { outcome: 'declined', declineCode: 'risk_limit_exceeded', reason: `risk score ${risk.score}: basket over the review limit` };
    }
    const price = await this.quotePrice(subtotalMinor, order.shippingAddress.country);
    return { outcome: 'ready', amountMinor: price.amountMinor, currency, cardBrand: card.brand };
  }
}
