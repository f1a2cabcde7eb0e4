/** The time budget of one authorizePayment attempt: every call bounded, all inside the activity's timeout. */
import test from 'ava';
import fc from 'fast-check';
import { paymentCallBudget, paymentCallLimits } from '../../activities/payment/time-budget.js';

test('inside the saga’s 15 s timeout every call gets its full limit: 3 s + 5 s + 3 s, with 4 s to spare', (t) => {
  t.deepEqual(paymentCallBudget(15_000), paymentCallLimits);
});

test('a request of 5 s plus a reversal of 5 s no longer fills a 10 s timeout: the shares shrink to leave a margin', (t) => {
  const budget = paymentCallBudget(10_000);
  t.true(budget.requestMs < 5_000);
  t.true(budget.priorReversalsMs + budget.requestMs + budget.reversalMs <= 9_000);
});

test('property: the three calls in a row always end at least a tenth (and 1 s) before the timeout', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 2_000, max: 600_000 }), (timeoutMs) => {
      const budget = paymentCallBudget(timeoutMs);
      const total = budget.priorReversalsMs + budget.requestMs + budget.reversalMs;
      return (
        total <= timeoutMs - Math.max(1_000, timeoutMs / 10) + 3 &&
        budget.requestMs <= paymentCallLimits.requestMs &&
        budget.reversalMs <= paymentCallLimits.reversalMs &&
        budget.priorReversalsMs > 0
      );
    }),
  );
  t.pass();
});
