/**
 * A seedable source of randomness for the load's business choices (scenario, customer, basket), so
 * `--seed 7` replays the same sequence of orders. Trace ids never come from here: they use
 * crypto-strength randomness (see traceparent.ts).
 */

/** A function returning a float in [0, 1), like Math.random. */
export type Random = () => number;

/** mulberry32: tiny, fast, and good enough to pick baskets; not for anything secret. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An integer in [min, max], both ends included. */
export function integerBetween(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pickOne<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pickOne: cannot pick from an empty list');
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * The entry whose cumulative weight first exceeds `draw × total`. Entries with weight 0 are never
 * chosen. `draw` is a number in [0, 1), so the function is pure and testable without a generator.
 */
export function chooseWeighted<T>(entries: readonly { value: T; weight: number }[], draw: number): T {
  const total = entries.reduce((sum, entry) => sum + entry.weight, 0);
  if (!(total > 0)) throw new Error('chooseWeighted: the weights add up to nothing');
  let threshold = Math.min(Math.max(draw, 0), 1) * total;
  for (const entry of entries) {
    if (entry.weight <= 0) continue;
    if (threshold < entry.weight) return entry.value;
    threshold -= entry.weight;
  }
  // draw = 1 or rounding at the top end: the last entry that can be chosen.
  return [...entries].reverse().find((entry) => entry.weight > 0)!.value;
}
