/** The test-card table and the Luhn rule that decide the simulator's answers on both lines. */
import test from 'ava';
import fc from 'fast-check';
import { testCards } from '../../platform/contracts/demo-triggers.js';
import { decideCard, passesLuhn } from '../../payment-sim/test-cards.js';

test('every test card is listed once and passes the Luhn check', (t) => {
  t.is(new Set(testCards.map((card) => card.number)).size, testCards.length);
  for (const card of testCards) t.true(passesLuhn(card.number), card.number);
});

test('each test card decides as its row says', (t) => {
  for (const card of testCards) t.deepEqual(decideCard(card.number), card.decision, card.number);
  t.like(decideCard('4000000000000002'), { kind: 'decline', declineCode: 'generic_decline' });
  t.like(decideCard('4000000000009995'), { kind: 'decline', declineCode: 'insufficient_funds' });
  t.like(decideCard('4000000000000069'), { kind: 'decline', declineCode: 'expired_card' });
  t.like(decideCard('4000000000000127'), { kind: 'decline', declineCode: 'invalid_card' });
  t.like(decideCard('4000000000000119'), { kind: 'processing_error' });
});

test('Luhn: known numbers', (t) => {
  for (const valid of ['4242424242424242', '5555555555554444', '378282246310005', '6011111111111117']) t.true(passesLuhn(valid), valid);
  for (const invalid of ['4242424242424241', '1234567812345678', '', '42a2424242424242']) t.false(passesLuhn(invalid), invalid);
});

test('property: changing one digit of a Luhn-valid number breaks the check, and the card is declined', (t) => {
  const digits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 11, maxLength: 18 });
  fc.assert(
    fc.property(digits, fc.nat(), fc.integer({ min: 1, max: 9 }), (body, position, delta) => {
      const check = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].find((digit) => passesLuhn(`${body.join('')}${digit}`))!;
      const valid = `${body.join('')}${check}`;
      const at = position % valid.length;
      const changed = `${valid.slice(0, at)}${(Number(valid[at]) + delta) % 10}${valid.slice(at + 1)}`;
      const known = testCards.some((card) => card.number === valid);
      return (
        passesLuhn(valid) &&
        !passesLuhn(changed) &&
        (known || decideCard(valid).kind === 'approve') &&
        decideCard(changed).kind === 'decline'
      );
    }),
  );
  t.pass();
});
