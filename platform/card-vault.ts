/**
 * The client of payment-sim's card vault (`POST /vault/cards`, payment-sim/vault.ts): a card number
 * in, a token and what may be shown of the card out. The gateway calls it for every order before
 * the order goes anywhere, so only the token travels inward (docs/decisions.md, "Card data"); the
 * order worker calls it for a saga started before tokenization, whose input still holds a number.
 *
 * The number goes in the request body only: never in a URL, a header or an error message.
 */
import { tokenizedCardSchema, type TokenizedCard } from './contracts/order.js';
import { callService } from './http.js';

const SERVICE = 'payment-sim';

/** The vault answered, but not with a token (a 4xx/5xx, or an answer of another shape). */
export class CardVaultError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CardVaultError';
  }
}

export class CardVaultClient {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs?: number,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /**
   * Exchanges a card number (digits) for a token. Throws ServiceCallError when the vault does not
   * answer, CardVaultError when it answers otherwise than with a token.
   */
  async tokenize(cardNumber: string, headers: Record<string, string> = {}): Promise<TokenizedCard> {
    const answer = await callService(SERVICE, `${this.baseUrl}/vault/cards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ cardNumber }),
      ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }),
    });
    if (answer.status !== 201) {
      const detail = (answer.body as { detail?: unknown } | undefined)?.detail;
      throw new CardVaultError(answer.status, `the card vault answered ${answer.status}${typeof detail === 'string' ? `: ${detail}` : ''}`);
    }
    const card = tokenizedCardSchema.safeParse(answer.body);
    if (!card.success) throw new CardVaultError(answer.status, 'the card vault answered without a valid token');
    return card.data;
  }
}
