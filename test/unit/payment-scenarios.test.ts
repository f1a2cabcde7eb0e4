/** Scenarios: their schema, latency distributions, and independent rolls per line. */
import test from 'ava';
import fc from 'fast-check';
import { sampleLatency, scenarioSchema, ScenarioBook } from '../../payment-sim/scenarios.js';

test('the schema fills defaults and refuses rates outside 0..1 and bad distributions', (t) => {
  t.deepEqual(scenarioSchema.parse({}), { latencyMs: 0, errorRate: 0, declineRate: 0, timeoutRate: 0 });
  t.false(scenarioSchema.safeParse({ errorRate: 1.1 }).success);
  t.false(scenarioSchema.safeParse({ timeoutRate: -0.1 }).success);
  t.false(scenarioSchema.safeParse({ latencyMs: { distribution: 'poisson', mean: 1 } }).success);
  t.false(scenarioSchema.safeParse({ latencyMs: { distribution: 'uniform', min: 10, max: 5 } }).success);
  t.false(scenarioSchema.safeParse({ surprise: true }).success);
});

test('property: latency samples stay within their distribution’s bounds and are never negative', (t) => {
  const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  fc.assert(
    fc.property(fc.nat({ max: 1000 }), fc.nat({ max: 1000 }), random, random, (a, b, r1, r2) => {
      const [min, max] = a <= b ? [a, b] : [b, a];
      const draws = [r1, r2];
      const next = () => draws.shift() ?? 0.5;
      const uniform = sampleLatency({ distribution: 'uniform', min, max }, next);
      draws.push(r1, r2);
      const normal = sampleLatency({ distribution: 'normal', mean: min, stddev: max }, next);
      return uniform >= min && uniform <= max && normal >= 0 && Number.isFinite(normal) && sampleLatency(a) === a;
    }),
  );
  t.pass();
});

test('rates of 0 and 1 are certain, and each line has its own scenario', (t) => {
  const book = new ScenarioBook();
  book.set('tcp', { latencyMs: 5, errorRate: 1, declineRate: 1, timeoutRate: 1 });
  t.deepEqual(book.roll('tcp'), { latencyMs: 5, error: true, decline: true, timeout: true });
  t.deepEqual(book.roll('http'), { latencyMs: 0, error: false, decline: false, timeout: false });
  book.reset();
  t.deepEqual(book.roll('tcp'), { latencyMs: 0, error: false, decline: false, timeout: false });
});

test('rates are rolled independently', (t) => {
  const book = new ScenarioBook();
  book.set('http', { latencyMs: 0, errorRate: 0.5, declineRate: 0.5, timeoutRate: 0 });
  const draws = [0.4, 0.6];
  t.like(
    book.roll('http', () => draws.shift() ?? 1),
    { error: true, decline: false },
  );
});
