/**
 * The scenario mix: which kinds of order the load is made of, by weight, e.g.
 * `happy=70,decline=10,insufficient=5,out-of-stock=5,undeliverable=5,cancel=5`.
 */
import { chooseWeighted, type Random } from './random.js';
import { isScenario, scenarios, type Scenario } from './scenarios.js';

export type Mix = readonly { scenario: Scenario; weight: number }[];

export const DEFAULT_MIX = 'happy=70,decline=10,insufficient=5,out-of-stock=5,undeliverable=5,cancel=5';

export class MixError extends Error {
  override name = 'MixError';
}

/**
 * Parses `name=weight,…`. Weights are non-negative numbers and need not add up to 100; a scenario
 * left out gets weight 0. Unknown names, repeats and an all-zero mix are refused with the reason.
 */
export function parseMix(text: string): Mix {
  const mix: { scenario: Scenario; weight: number }[] = [];
  for (const part of text
    .split(',')
    .map((piece) => piece.trim())
    .filter(Boolean)) {
    const match = /^([a-z-]+)\s*[=:]\s*(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) throw new MixError(`mix entry "${part}" is not name=weight (e.g. happy=70)`);
    const [, name = '', weightText = ''] = match;
    if (!isScenario(name)) throw new MixError(`unknown scenario "${name}" in the mix; known: ${scenarios.join(', ')}`);
    if (mix.some((entry) => entry.scenario === name)) throw new MixError(`scenario "${name}" appears twice in the mix`);
    mix.push({ scenario: name, weight: Number(weightText) });
  }
  if (mix.reduce((sum, entry) => sum + entry.weight, 0) <= 0) {
    throw new MixError(`the mix "${text}" gives no scenario a weight above 0`);
  }
  return mix;
}

/** Each scenario's share of the load, in percent, in mix order (zero weights left out). */
export function mixShares(mix: Mix): { scenario: Scenario; percent: number }[] {
  const total = mix.reduce((sum, entry) => sum + entry.weight, 0);
  return mix.filter((entry) => entry.weight > 0).map((entry) => ({ scenario: entry.scenario, percent: (entry.weight / total) * 100 }));
}

export function describeMix(mix: Mix): string {
  return mixShares(mix)
    .map(({ scenario, percent }) => `${scenario} ${Number(percent.toFixed(1))}%`)
    .join(', ');
}

/** Draws scenarios in proportion to their weights. */
export function scenarioPicker(mix: Mix, random: Random): () => Scenario {
  const entries = mix.map((entry) => ({ value: entry.scenario, weight: entry.weight }));
  return () => chooseWeighted(entries, random());
}
