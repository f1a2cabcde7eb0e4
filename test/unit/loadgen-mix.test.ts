/** The load generator's scenario mix (loadgen/mix.ts) and weighted choice (loadgen/random.ts). */
import test from 'ava';
import { DEFAULT_MIX, describeMix, MixError, mixShares, parseMix, scenarioPicker } from '../../loadgen/mix.js';
import { chooseWeighted, seededRandom } from '../../loadgen/random.js';
import { scenarios } from '../../loadgen/scenarios.js';

test('the default mix names every scenario once', (t) => {
  const mix = parseMix(DEFAULT_MIX);
  t.deepEqual(mix.map((entry) => entry.scenario).sort(), [...scenarios].sort());
  t.is(describeMix(mix), 'happy 70%, decline 10%, insufficient 5%, out-of-stock 5%, undeliverable 5%, cancel 5%');
});

test('weights need not add up to 100, and spaces and colons are tolerated', (t) => {
  const mix = parseMix(' happy = 3 , decline:1 ');
  t.deepEqual(mix, [
    { scenario: 'happy', weight: 3 },
    { scenario: 'decline', weight: 1 },
  ]);
  t.deepEqual(
    mixShares(mix).map((share) => share.percent),
    [75, 25],
  );
});

test('a zero weight is allowed and left out of the shares', (t) => {
  const mix = parseMix('happy=1,cancel=0');
  t.deepEqual(mixShares(mix), [{ scenario: 'happy', percent: 100 }]);
});

test('mistakes in the mix are refused with the reason', (t) => {
  t.throws(() => parseMix('happy=70,refund=5'), { instanceOf: MixError, message: /unknown scenario "refund".*known: happy/ });
  t.throws(() => parseMix('happy=70,happy=5'), { instanceOf: MixError, message: /appears twice/ });
  t.throws(() => parseMix('happy'), { instanceOf: MixError, message: /not name=weight/ });
  t.throws(() => parseMix('happy=-1'), { instanceOf: MixError });
  t.throws(() => parseMix('happy=0,decline=0'), { instanceOf: MixError, message: /no scenario a weight above 0/ });
  t.throws(() => parseMix(''), { instanceOf: MixError });
});

test('chooseWeighted maps the unit interval onto the weights in order', (t) => {
  const entries = [
    { value: 'a', weight: 1 },
    { value: 'zero', weight: 0 },
    { value: 'b', weight: 3 },
  ];
  t.is(chooseWeighted(entries, 0), 'a');
  t.is(chooseWeighted(entries, 0.2499), 'a');
  t.is(chooseWeighted(entries, 0.25), 'b');
  t.is(chooseWeighted(entries, 0.9999), 'b');
  // The edges: 1 (or more, by rounding) still lands on the last choosable entry, never on weight 0.
  t.is(chooseWeighted([...entries, { value: 'never', weight: 0 }], 1), 'b');
  t.throws(() => chooseWeighted([{ value: 'x', weight: 0 }], 0.5));
});

test('scenarios are drawn in proportion to their weights', (t) => {
  const pick = scenarioPicker(parseMix('happy=70,decline=20,cancel=10,undeliverable=0'), seededRandom(42));
  const counts = new Map<string, number>();
  const draws = 20_000;
  for (let index = 0; index < draws; index += 1) {
    const scenario = pick();
    counts.set(scenario, (counts.get(scenario) ?? 0) + 1);
  }
  t.false(counts.has('undeliverable'));
  // Within 1.5 percentage points of the target share (about 5 standard deviations at this size).
  for (const [scenario, share] of [
    ['happy', 0.7],
    ['decline', 0.2],
    ['cancel', 0.1],
  ] as const) {
    const observed = (counts.get(scenario) ?? 0) / draws;
    t.true(Math.abs(observed - share) < 0.015, `${scenario}: ${observed} vs ${share}`);
  }
});

test('the same seed draws the same sequence', (t) => {
  const draw = (seed: number) => {
    const pick = scenarioPicker(parseMix(DEFAULT_MIX), seededRandom(seed));
    return Array.from({ length: 50 }, pick);
  };
  t.deepEqual(draw(7), draw(7));
  t.notDeepEqual(draw(7), draw(8));
});
