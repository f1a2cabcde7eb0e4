/**
 * The simulated acquirer behind both lines: it decides an authorization from the test cards and the
 * line's scenario, and books approvals in the ledger. The HTTP API and the TCP 전문 server only
 * translate their wire formats to and from these calls.
 */
import { z } from 'zod';
import type { PaymentChannel } from '../platform/contracts/order.js';
import { declineMessages, type DeclineCode } from './decline-codes.js';
import { PaymentLedger, type Payment } from './ledger.js';
import { ScenarioBook } from './scenarios.js';
import { decideCard } from './test-cards.js';

/** Order ids travel in a 36-byte telegram field too, so both lines accept the same ids. */
export const orderIdSchema = z.string().regex(/^[\x21-\x7e]{1,36}$/, 'must be 1 to 36 printable ASCII characters');

/** What either line must supply to authorize; both validate against this one schema. */
export const authorizationInputSchema = z.strictObject({
  orderId: orderIdSchema,
  amountMinor: z.number().int().min(0).max(999_999_999_999),
  currency: z.literal('KRW'),
  cardNumber: z.string().regex(/^\d{12,19}$/, 'must be 12 to 19 digits'),
  /** 0 is a lump-sum payment (일시불). */
  installmentMonths: z.number().int().min(0).max(36).default(0),
});

export type AuthorizationInput = z.output<typeof authorizationInputSchema>;

export type AuthorizationAnswer =
  /** `repeated`: the order already had this approval; it is returned again, never charged twice. */
  | { kind: 'approved'; payment: Payment; repeated: boolean }
  | { kind: 'declined'; declineCode: DeclineCode; message: string }
  | { kind: 'processing_error'; message: string }
  /** The order already holds a payment with other terms (amount, currency or card). */
  | { kind: 'order_conflict'; payment: Payment; message: string };

export interface AuthorizationOutcome {
  answer: AuthorizationAnswer;
  /** How long to wait before answering. */
  latencyMs: number;
  /** Never answer: the outcome is booked but the caller will time out. */
  hold: boolean;
}

export class PaymentSimulator {
  readonly ledger = new PaymentLedger();
  readonly scenarios = new ScenarioBook();
  private readonly releaseHeld = new Set<() => void>();

  authorize(input: AuthorizationInput, channel: PaymentChannel): AuthorizationOutcome {
    const roll = this.scenarios.roll(channel);
    return { answer: this.decide(input, channel, roll), latencyMs: roll.latencyMs, hold: roll.timeout };
  }

  private decide(
    input: AuthorizationInput,
    channel: PaymentChannel,
    roll: { error: boolean; decline: boolean },
  ): AuthorizationAnswer {
    const standing = this.ledger.standingPayment(input.orderId);
    if (standing) {
      const sameTerms =
        standing.amountMinor === input.amountMinor &&
        standing.currency === input.currency &&
        standing.cardLast4 === input.cardNumber.slice(-4);
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
    const decision = decideCard(input.cardNumber);
    switch (decision.kind) {
      case 'approve':
        return { kind: 'approved', payment: this.ledger.recordApproval({ ...input, channel }), repeated: false };
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

function declined(declineCode: DeclineCode): AuthorizationAnswer {
  return { kind: 'declined', declineCode, message: declineMessages[declineCode] };
}
