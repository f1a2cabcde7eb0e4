/**
 * The 전문 line's approval check (`authorizationRequestOf`, payment-sim/tcp-server.ts) is written by
 * hand for speed; `authorizationRequestSchema` is the rule. For any 0200 the codec can carry, both
 * give the same verdict, and an accepted request is the schema's output exactly.
 */
import { isDeepStrictEqual } from 'node:util';
import test from 'ava';
import fc from 'fast-check';
import { blankTelegram } from '../../platform/contracts/telegram/messages.js';
import { authorizationRequestOf } from '../../payment-sim/tcp-server.js';
import { authorizationRequestSchema } from '../../payment-sim/simulator.js';

const printable = (maxLength: number) =>
  fc
    .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength })
    .map((text) => text.trimEnd());
const tokenChar = fc.constantFrom(...'abcXYZ019_-'.split(''));

/** Each field either valid-looking or any value its width allows: both sides of every rule. */
const approvalTelegram = fc.record({
  orderId: fc.oneof(fc.uuid(), printable(36)),
  amount: fc.oneof(fc.integer({ min: 0, max: 999_999_999_999 }), fc.constant(0)),
  currency: fc.oneof(fc.constant('KRW'), printable(3)),
  cardToken: fc.oneof(
    fc.string({ unit: tokenChar, minLength: 20, maxLength: 20 }).map((rest) => `tok_${rest}`),
    printable(24),
  ),
  installmentMonths: fc.integer({ min: 0, max: 99 }),
  attemptNumber: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 9_999 })),
});

test('the hand-written 0200 check and authorizationRequestSchema agree on every request the line can carry', (t) => {
  fc.assert(
    fc.property(approvalTelegram, (fields) => {
      const telegram = blankTelegram({ messageType: '0200', traceNumber: 1, ...fields });
      const byHand = authorizationRequestOf(telegram);
      const bySchema = authorizationRequestSchema.safeParse({
        orderId: fields.orderId,
        amountMinor: fields.amount,
        currency: fields.currency,
        cardToken: fields.cardToken,
        installmentMonths: fields.installmentMonths,
        ...(fields.attemptNumber === 0 ? {} : { attempt: fields.attemptNumber }),
      });
      if (bySchema.success !== byHand.ok) return false;
      return byHand.ok && bySchema.success ? isDeepStrictEqual(byHand.request, bySchema.data) : true;
    }),
    { numRuns: 5_000 },
  );
  t.pass();
});

test("a refused 0200 carries the schema's message for each field at fault", (t) => {
  const refused = authorizationRequestOf(
    blankTelegram({ messageType: '0200', traceNumber: 1, orderId: 'o-1', currency: 'USD', cardToken: 'tok_short', installmentMonths: 37 }),
  );
  if (refused.ok) return t.fail('accepted');
  t.regex(refused.fields, /currency: /);
  t.regex(refused.fields, /cardToken: must be a card token from the vault/);
  t.regex(refused.fields, /installmentMonths: /);
});
