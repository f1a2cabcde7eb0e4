/**
 * payment-sim's card vault (docs/decisions.md, "Card data"): the one place a full card number is
 * kept. The gateway hands it a number (`POST /vault/cards`) and gets a token; from then on only the
 * token travels (order service, Temporal, the payment lines), and the simulator turns it back into
 * the number when an authorization names it, inside this process.
 *
 * At rest a number is AES-256-GCM ciphertext under a key id (PAYMENT_VAULT_SECRET_KEYS: the first key
 * encrypts, every listed key decrypts what was stored under it, so keys rotate without a flag day),
 * with a random 96-bit IV per card and the token as additional authenticated data. The token is
 * random: it carries nothing of the number, so it cannot be turned back without the vault.
 *
 * Every card gets a new token, even a number seen before: matching numbers would need a keyed hash
 * of every number kept beside it, and nothing here needs to know that two orders used one card.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { cardBrand, luhnValid } from '../platform/card.js';
import { CARD_TOKEN_PATTERN, type TokenizedCard } from '../platform/contracts/order.js';
import type { Queryable } from '../platform/db.js';

export interface VaultKey {
  id: string;
  /** 32 bytes: AES-256. */
  key: Buffer;
}

/** One card as the vault keeps it. */
export interface StoredCard {
  token: string;
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
  last4: string;
  brand: string;
  luhnValid: boolean;
}

export interface CardStore {
  insert(card: StoredCard): Promise<void>;
  find(token: string): Promise<StoredCard | undefined>;
}

/** A card under a key this process was not given: the vault cannot answer (a configuration error). */
export class VaultKeyMissingError extends Error {
  constructor(readonly keyId: string) {
    super(`a card is stored under vault key ${keyId}, which PAYMENT_VAULT_SECRET_KEYS does not hold`);
    this.name = 'VaultKeyMissingError';
  }
}

/** Cards held decrypted-on-demand in memory: the ciphertext only, like the database's rows. */
const CACHE_LIMIT = 50_000;
/** The id the development default key carries (platform/config.ts): its key is public. */
export const DEV_KEY_PREFIX = 'dev-insecure';

export class CardVault {
  private readonly keys: Map<string, Buffer>;
  private readonly active: VaultKey;
  private readonly cache = new Map<string, StoredCard>();

  /** `keys`: the first encrypts new cards; every one decrypts the cards stored under its id. */
  constructor(
    keys: readonly VaultKey[],
    private readonly store: CardStore = new MemoryCardStore(),
  ) {
    const [active] = keys;
    if (!active) throw new Error('the card vault needs at least one key');
    for (const { id, key } of keys) if (key.length !== 32) throw new Error(`vault key ${id} is not 32 bytes (AES-256)`);
    this.active = active;
    this.keys = new Map(keys.map(({ id, key }) => [id, key]));
  }

  get activeKeyId(): string {
    return this.active.id;
  }

  /** Stores a card number (digits only) and answers its token with what may be shown of the card. */
  async tokenize(cardNumber: string): Promise<TokenizedCard> {
    if (!/^\d{12,19}$/.test(cardNumber)) throw new RangeError('a card number is 12 to 19 digits');
    const token = `tok_${randomBytes(15).toString('base64url')}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    cipher.setAAD(Buffer.from(token, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(cardNumber, 'utf8'), cipher.final()]);
    const card: StoredCard = {
      token,
      keyId: this.active.id,
      iv,
      ciphertext,
      authTag: cipher.getAuthTag(),
      last4: cardNumber.slice(-4),
      brand: cardBrand(cardNumber),
      luhnValid: luhnValid(cardNumber),
    };
    await this.store.insert(card);
    this.remember(card);
    return { cardToken: token, last4: card.last4, brand: card.brand, luhnValid: card.luhnValid };
  }

  /** The card number behind a token; undefined for a token the vault never issued. */
  async reveal(token: string): Promise<string | undefined> {
    if (!CARD_TOKEN_PATTERN.test(token)) return undefined;
    let card = this.cache.get(token);
    if (!card) {
      card = await this.store.find(token);
      if (!card) return undefined;
      this.remember(card);
    }
    const key = this.keys.get(card.keyId);
    if (!key) throw new VaultKeyMissingError(card.keyId);
    const decipher = createDecipheriv('aes-256-gcm', key, card.iv);
    decipher.setAAD(Buffer.from(card.token, 'utf8'));
    decipher.setAuthTag(card.authTag);
    return Buffer.concat([decipher.update(card.ciphertext), decipher.final()]).toString('utf8');
  }

  private remember(card: StoredCard): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(card.token, card);
  }
}

/** The vault without a database (unit tests, a simulator started without one). */
export class MemoryCardStore implements CardStore {
  private readonly cards = new Map<string, StoredCard>();
  async insert(card: StoredCard): Promise<void> {
    this.cards.set(card.token, card);
  }
  async find(token: string): Promise<StoredCard | undefined> {
    return this.cards.get(token);
  }
}

/** The vault in payment-sim's database (`card_vault`, payment-sim/migrations). */
export class PostgresCardStore implements CardStore {
  constructor(private readonly db: Queryable) {}

  async insert(card: StoredCard): Promise<void> {
    await this.db.query(
      `INSERT INTO card_vault (token, key_id, iv, ciphertext, auth_tag, last4, brand, luhn_valid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [card.token, card.keyId, card.iv, card.ciphertext, card.authTag, card.last4, card.brand, card.luhnValid],
    );
  }

  async find(token: string): Promise<StoredCard | undefined> {
    const { rows } = await this.db.query<{
      token: string;
      key_id: string;
      iv: Buffer;
      ciphertext: Buffer;
      auth_tag: Buffer;
      last4: string;
      brand: string;
      luhn_valid: boolean;
    }>('SELECT token, key_id, iv, ciphertext, auth_tag, last4, brand, luhn_valid FROM card_vault WHERE token = $1', [token]);
    const row = rows[0];
    return row
      ? {
          token: row.token,
          keyId: row.key_id,
          iv: row.iv,
          ciphertext: row.ciphertext,
          authTag: row.auth_tag,
          last4: row.last4,
          brand: row.brand,
          luhnValid: row.luhn_valid,
        }
      : undefined;
  }
}
