/**
 * The simulated acquirer behind both lines: it decides an authorization from the test cards and the
 * line's scenario, and books approvals in the ledger. The HTTP API and the TCP 전문 server only
 * translate their wire formats to and from these calls.
 */
import { z } from 'zod';
import { config } from '../platform/config.js';
import { businessMetrics } from '../platform/telemetry/metrics.js';
import { cardTokenSchema, type PaymentChannel } from '../platform/contracts/order.js';
import { declineMessages, type DeclineCode } from '../platform/contracts/decline-codes.js';
import { attemptKeyOf, PaymentLedger, type Payment, type Refusal } from './ledger.js';
import { ScenarioBook } from './scenarios.js';
import { decideCard } from './test-cards.js';
import type { CardDecision } from '../platform/contracts/demo-triggers.js';
import { CardVault } from './vault.js';

/** Order ids travel in a 36-byte telegram field too, so both lines accept the same ids. */
export const orderIdSchema = z.string().regex(/^[\x21-\x7e]{1,36}$/, 'must be 1 to 36 printable ASCII characters');

/** The telegram's attemptNumber field holds 4 digits; 0 there means "no attempt named". */
export const MAX_ATTEMPT = 9_999;

/**
 * What the simulator decides on: the card number itself, which only the vault gives it (the lines
 * carry a token: authorizationRequestSchema).
 */
export const authorizationInputSchema = z.strictObject({
  orderId: orderIdSchema,
  amountMinor: z.number().int().min(0).max(999_999_999_999),
  currency: z.literal('KRW'),
  cardNumber: z.string().regex(/^\d{12,19}$/, 'must be 12 to 19 digits'),
  /** 0 is a lump-sum payment (일시불). */
  installmentMonths: z.number().int().min(0).max(36).default(0),
  /**
   * The authorization attempt (the saga activity's attempt number): with the order id, the attempt
   * key `<orderId>:<attempt>` a reversal names. Absent: the request belongs to no attempt, and only
   * a void by order id can refuse it.
   */
  attempt: z.number().int().min(1).max(MAX_ATTEMPT).optional(),
});

/**
 * What either line must supply to authorize; both validate against this one schema. The card is the
 * vault's token (POST /vault/cards); the simulator turns it back into the number (docs/decisions.md).
 */
export const authorizationRequestSchema = authorizationInputSchema.omit({ cardNumber: true }).extend({ cardToken: cardTokenSchema });
export type AuthorizationRequest = z.output<typeof authorizationRequestSchema>;

/**
 * What the simulator decides a card on: the decision its number earns (test cards, Luhn) and its last
 * four digits. Never the number: these are what is kept per token (`detokenize`), so no card number
 * stays in memory after the vault has decrypted it.
 */
export interface CardFacts {
  last4: string;
  decision: CardDecision;
}

export function cardFactsOf(cardNumber: string): CardFacts {
  return { last4: cardNumber.slice(-4), decision: decideCard(cardNumber) };
}

/** `card` undefined: the token named no card the vault holds, declined as an invalid card. */
export type AuthorizationInput = Omit<z.output<typeof authorizationInputSchema>, 'cardNumber'> & { card: CardFacts | undefined };

/** Tokens whose card facts are kept; the oldest is forgotten past this (the vault's own cache holds as many). */
const CARD_FACTS_LIMIT = 50_000;

export type AuthorizationAnswer =
  /** `repeated`: the order already had this approval; it is returned again, never charged twice. */
  | { kind: 'approved'; payment: Payment; repeated: boolean }
  | { kind: 'declined'; declineCode: DeclineCode; message: string }
  | { kind: 'processing_error'; message: string }
  /** The order already holds a payment with other terms (amount, currency or card), or of another attempt. */
  | { kind: 'order_conflict'; payment: Payment; message: string }
  /** A tombstone refuses it: this attempt was reversed, or the order voided, before the request arrived. */
  | { kind: 'refused'; refusal: Refusal; message: string };

export interface AuthorizationOutcome {
  answer: AuthorizationAnswer;
  /** How long to wait before answering. */
  latencyMs: number;
  /** Never answer: the outcome is booked but the caller will time out. */
  hold: boolean;
}

export class PaymentSimulator {
  readonly scenarios = new ScenarioBook();
  private readonly releaseHeld = new Set<() => void>();
  /**
   * A token's card facts, once the vault has decrypted its number: a token names one number for
   * ever, so the facts hold for the token's whole life, and an approval need not pay an AES-GCM
   * decryption each time (5–6 % of the 전문 thread at benchmark rates). Only facts: the number is
   * dropped as soon as they are derived.
   */
  private readonly cardFacts = new Map<string, CardFacts>();

  /**
   * Default: an in-memory ledger and vault (unit tests); the service passes ones kept in PostgreSQL.
   */
  constructor(
    readonly ledger = new PaymentLedger(),
    readonly vault = new CardVault(config().PAYMENT_VAULT_SECRET_KEYS),
  ) {}

  /**
   * A line's request with the card number the vault holds for its token in place of the token.
   * Called before `authorize`, which stays synchronous: nothing may come between its look at the
   * ledger and its booking.
   */
  async detokenize(request: AuthorizationRequest): Promise<AuthorizationInput> {
    const { cardToken, ...rest } = request;
    return { ...rest, card: this.cardFacts.get(cardToken) ?? (await this.revealFacts(cardToken)) };
  }

  private async revealFacts(cardToken: string): Promise<CardFacts | undefined> {
    const cardNumber = await this.vault.reveal(cardToken);
    // A token the vault never issued is not remembered: it may be looked up again, and fail again.
    if (cardNumber === undefined) return undefined;
    const facts = cardFactsOf(cardNumber);
    if (this.cardFacts.size >= CARD_FACTS_LIMIT) this.cardFacts.delete(this.cardFacts.keys().next().value!);
    this.cardFacts.set(cardToken, facts);
    return facts;
  }

  authorize(input: AuthorizationInput, channel: PaymentChannel): AuthorizationOutcome {
    const roll = this.scenarios.roll(channel);
    const answer = this.decide(input, channel, roll);
    // `payment.authorized`: the gateway's count of its decisions, per line (platform/telemetry/metrics.ts).
    businessMetrics().paymentAuthorized.add(1, { channel, outcome: outcomeOf(answer) });
    return { answer, latencyMs: roll.latencyMs, hold: roll.timeout };
  }

  private decide(input: AuthorizationInput, channel: PaymentChannel, roll: { error: boolean; decline: boolean }): AuthorizationAnswer {
    const refusal = this.ledger.refusal(input.orderId, input.attempt);
    if (refusal) return { kind: 'refused', refusal, message: refusalMessage(input.orderId, refusal) };
    const standing = this.ledger.standingPayment(input.orderId);
    if (standing) {
      const attemptKey = input.attempt === undefined ? null : attemptKeyOf(input.orderId, input.attempt);
      if (attemptKey !== null && standing.attemptKey !== null && standing.attemptKey !== attemptKey) {
        // Handing attempt n the approval of attempt m would let m's late reversal cancel what n reported.
        return {
          kind: 'order_conflict',
          payment: standing,
          message: `order ${input.orderId} holds payment ${standing.paymentId} (${standing.status}) of attempt ${standing.attemptKey}; reverse that attempt first`,
        };
      }
      const sameTerms =
        standing.amountMinor === input.amountMinor && standing.currency === input.currency && standing.cardLast4 === input.card?.last4;
      return sameTerms
        ? { kind: 'approved', payment: standing, repeated: true }
        : {
            kind: 'order_conflict',
            payment: standing,
            message: `order ${input.orderId} already has payment ${standing.paymentId} (${standing.status}) with other terms`,
          };
    }
    if (roll.error) return { kind: 'processing_error', message: 'simulated gateway error (scenario errorRate)' };
    if (roll.decline) return declined('generic_decline');
    const { card, ...request } = input;
    if (card === undefined) return declined('invalid_card');
    const { decision } = card;
    switch (decision.kind) {
      case 'approve':
        return {
          kind: 'approved',
          payment: this.ledger.recordApproval({ ...request, cardLast4: card.last4, channel }),
          repeated: false,
        };
      case 'decline':
        return declined(decision.declineCode);
      case 'processing_error':
        return { kind: 'processing_error', message: 'the card processor failed to handle the request' };
    }
  }

  /**
   * Resolves when the caller gives up (its signal aborts) or the simulator shuts down: a held
   * request costs nothing while it waits and never outlives the process's shutdown.
   */
  hold(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        this.releaseHeld.delete(release);
        signal?.removeEventListener('abort', release);
        resolve();
      };
      this.releaseHeld.add(release);
      signal?.addEventListener('abort', release, { once: true });
    });
  }

  /** Lets go of every held request, so servers can close. */
  releaseAll(): void {
    for (const release of [...this.releaseHeld]) release();
  }
}

/** The `outcome` of `payment.authorized`: a small fixed set. */
function outcomeOf(answer: AuthorizationAnswer): 'approved' | 'repeated' | 'declined' | 'refused' | 'error' {
  switch (answer.kind) {
    case 'approved':
      return answer.repeated ? 'repeated' : 'approved';
    case 'declined':
      return 'declined';
    case 'order_conflict':
    case 'refused':
      return 'refused';
    case 'processing_error':
      return 'error';
  }
}

function refusalMessage(orderId: string, refusal: Refusal): string {
  return refusal.kind === 'order_voided'
    ? `order ${orderId} was voided by order id (${refusal.tombstone.reason}); it takes no approval any more`
    : `attempt ${attemptKeyOf(orderId, refusal.tombstone.attempt)} was reversed before this request arrived (${refusal.tombstone.reason}); nothing was charged, authorize under a new attempt`;
}

function declined(declineCode: DeclineCode): AuthorizationAnswer {
  return { kind: 'declined', declineCode, message: declineMessages[declineCode] };
}
