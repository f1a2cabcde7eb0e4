/**
 * Payment preparation: the three method-level steps before an authorization (validate, screen,
 * price). Each is a virtual service node, so the APM's dependency map shows them as services.
 */
import { ServiceNode } from '../../platform/telemetry/service-node.js';
import { cardBrand, luhnValid } from '../../platform/card.js';
import { isLegacyPayment, type SagaOrder } from '../../platform/contracts/order.js';

export type PreparationOutcome =
  | { outcome: 'ready'; amountMinor: number; currency: string; cardBrand: string }
  | { outcome: 'declined'; declineCode: string; reason: string };

/** Orders above this total (in won) need a manual review this simulator does not do: they are declined. */
export const RISK_LIMIT_MINOR = 10_000_000;
const DOMESTIC_SHIPPING_MINOR = 3_000;
const FREE_DOMESTIC_SHIPPING_FROM_MINOR = 50_000;
const INTERNATIONAL_SHIPPING_MINOR = 25_000;

export { cardBrand, luhnValid };

/**
 * What validation needs of the card: the vault worked both out when it stored the number. A saga
 * started before tokenization has the number in its input, and they are worked out from it.
 */
function cardFacts(payment: SagaOrder['payment']): { luhnValid: boolean; brand: string } {
  return isLegacyPayment(payment) ? { luhnValid: luhnValid(payment.cardNumber), brand: cardBrand(payment.cardNumber) } : payment;
}

export class PaymentPreparation {
  @ServiceNode('payment-validation')
  async validateCard(card: {
    luhnValid: boolean;
    brand: string;
  }): Promise<{ valid: true; brand: string } | { valid: false; reason: string }> {
    // The vault's verdict on the number (the number itself never reaches the order service).
    if (!card.luhnValid) return { valid: false, reason: 'card number fails the Luhn check' };
    return { valid: true, brand: card.brand };
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
  async prepare(order: SagaOrder, subtotalMinor: number, currency: string): Promise<PreparationOutcome> {
    const card = await this.validateCard(cardFacts(order.payment));
    if (!card.valid) return { outcome: 'declined', declineCode: 'invalid_card', reason: card.reason };
    const risk = await this.screenRisk(subtotalMinor, order.shippingAddress.country);
    if (!risk.approved) {
      return { outcome: 'declined', declineCode: 'risk_limit_exceeded', reason: `risk score ${risk.score}: basket over the review limit` };
    }
    const price = await this.quotePrice(subtotalMinor, order.shippingAddress.country);
    return { outcome: 'ready', amountMinor: price.amountMinor, currency, cardBrand: card.brand };
  }
}
