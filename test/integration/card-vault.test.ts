/**
 * payment-sim's card vault (payment-sim/vault.ts, docs/decisions.md "Card data"): a number in, a
 * token out; the number kept only as AES-256-GCM ciphertext under a key id; the lines take the token
 * and the simulator decides on the number behind it. In process, with the vault in a scratch schema
 * of the payments database, so what lies at rest can be read.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import test from 'ava';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { CardVault, MemoryCardStore, PostgresCardStore, VaultKeyMissingError } from '../../payment-sim/vault.js';
import { CARD_TOKEN_PATTERN } from '../../platform/contracts/order.js';
import { openDatabase } from '../../platform/db.js';
import { scratchLedgerDatabase, type ScratchLedgerDatabase } from './payment-ledger-support.js';

let database: ScratchLedgerDatabase;
let sim: RunningPaymentSim;
const keyA = { id: 'test-a', key: randomBytes(32) };
const keyB = { id: 'test-b', key: randomBytes(32) };

test.before(async () => {
  database = await scratchLedgerDatabase();
  sim = await startPaymentSim({ httpPort: 0, tcpPort: 0, databaseUrl: database.url, vaultKeys: [keyA] });
});

test.after.always(async () => {
  await sim?.close();
  await database?.drop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

test('POST /vault/cards answers a token, the last four digits, the brand and the Luhn check, never the number', async (t) => {
  const answer = await post('/vault/cards', { cardNumber: '5555 5555 5555 4444' });
  t.is(answer.status, 201);
  const card = JSON.parse(answer.text) as { cardToken: string; last4: string; brand: string; luhnValid: boolean };
  t.regex(card.cardToken, CARD_TOKEN_PATTERN);
  t.like(card, { last4: '4444', brand: 'mastercard', luhnValid: true });
  // The token is random base64url and may hold a run of digits by chance (it failed CI once): look
  // at everything else in the answer.
  t.false(/\d{5,}/.test(answer.text.replace(card.cardToken, '')), 'no run of digits longer than the last four');
  t.false(answer.text.includes('5555555555554444'), 'not the number itself');
  t.false(
    (JSON.parse((await post('/vault/cards', { cardNumber: '4242424242424241' })).text) as { luhnValid: boolean }).luhnValid,
    'a wrong check digit is told, not refused',
  );
  t.is((await post('/vault/cards', { cardNumber: '4242' })).status, 400);
  t.is((await post('/vault/cards', { cardNumber: '4242424242424242', extra: 1 })).status, 400);
});

test('at rest the number is AES-256-GCM ciphertext under the key id, bound to its token', async (t) => {
  const { cardToken } = await sim.simulator.vault.tokenize('4000056655665556');
  const [row] = await database.query('SELECT * FROM card_vault WHERE token = $1', [cardToken]);
  t.like(row, { key_id: 'test-a', last4: '5556', brand: 'visa', luhn_valid: true });
  const atRest = JSON.stringify(row) + Buffer.from(row!.ciphertext as Buffer).toString('latin1');
  t.false(atRest.includes('4000056655665556'), 'the number is nowhere in the row');
  t.is((row!.iv as Buffer).length, 12);
  t.is((row!.auth_tag as Buffer).length, 16);

  // A fresh vault on the same table (a restart) reads it back; a ciphertext moved to another token does not decrypt.
  const db = openDatabase(database.url, 'payments-test');
  try {
    const restarted = new CardVault([keyA], new PostgresCardStore(db));
    t.is(await restarted.reveal(cardToken), '4000056655665556');
    const other = await restarted.tokenize('4242424242424242');
    await db.query('UPDATE card_vault SET iv = $2, ciphertext = $3, auth_tag = $4 WHERE token = $1', [
      other.cardToken,
      row!.iv,
      row!.ciphertext,
      row!.auth_tag,
    ]);
    await t.throwsAsync(new CardVault([keyA], new PostgresCardStore(db)).reveal(other.cardToken), { message: /authenticate/ });
  } finally {
    await db.end();
  }
});

test('key rotation: a new key first encrypts new cards; cards under the old key still open while it is listed', async (t) => {
  const store = new MemoryCardStore();
  const old = await new CardVault([keyA], store).tokenize('4242424242424242');
  const rotated = new CardVault([keyB, keyA], store);
  const fresh = await rotated.tokenize('5555555555554444');
  t.is(rotated.activeKeyId, 'test-b');
  t.is(await rotated.reveal(old.cardToken), '4242424242424242');
  t.is(await rotated.reveal(fresh.cardToken), '5555555555554444');
  // Without the old key the card cannot be read: a configuration error, never a wrong number.
  await t.throwsAsync(new CardVault([keyB], store).reveal(old.cardToken), { instanceOf: VaultKeyMissingError });
  t.is(await rotated.reveal('tok_AAAAAAAAAAAAAAAAAAAA'), undefined, 'a token never issued names no card');
});

test('HTTP authorize takes the token; the simulator decides on the number behind it; an unknown token is an invalid card', async (t) => {
  const authorize = async (cardToken: string) => {
    const orderId = randomUUID();
    const answer = await post(
      '/payments/authorize',
      { orderId, amountMinor: 1_000, currency: 'KRW', cardToken, attempt: 1 },
      { 'idempotency-key': `authorize:${orderId}:1` },
    );
    return { status: answer.status, body: JSON.parse(answer.text) as Record<string, unknown> };
  };
  const approved = await sim.simulator.vault.tokenize('4242424242424242');
  t.like(await authorize(approved.cardToken), { status: 201, body: { status: 'authorized', cardLast4: '4242' } });
  const declined = await sim.simulator.vault.tokenize('4000000000009995');
  t.like(await authorize(declined.cardToken), { status: 402, body: { declineCode: 'insufficient_funds' } });
  t.like(await authorize('tok_AAAAAAAAAAAAAAAAAAAA'), { status: 402, body: { declineCode: 'invalid_card' } });
  const orderId = randomUUID();
  const withNumber = await post(
    '/payments/authorize',
    { orderId, amountMinor: 1_000, currency: 'KRW', cardNumber: '4242424242424242' },
    { 'idempotency-key': orderId },
  );
  t.is(withNumber.status, 400, 'a card number is refused: the line takes tokens only');
});
