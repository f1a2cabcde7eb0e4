/**
 * Card numbers vaulted in a simulator under test, for tests that speak its lines directly: the lines
 * carry the vault's token, never the number (docs/decisions.md, "Card data").
 */
import type { CardVault } from '../../payment-sim/vault.js';
import { testCards } from '../../platform/contracts/demo-triggers.js';

/**
 * Vaults every test card and the extra numbers given; answers a lookup from number to token (a
 * number that was not vaulted throws, so a test cannot send an unknown token by mistake).
 */
export async function vaultCards(vault: CardVault, extra: string[] = []): Promise<(cardNumber: string) => string> {
  const tokens = new Map<string, string>();
  for (const number of new Set([...testCards.map((card) => card.number), ...extra]))
    tokens.set(number, (await vault.tokenize(number)).cardToken);
  return (cardNumber) => {
    const token = tokens.get(cardNumber);
    if (!token) throw new Error(`card ${cardNumber} was not vaulted for this test`);
    return token;
  };
}
