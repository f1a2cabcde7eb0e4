/**
 * Arrival times of the open model: the target rate climbs linearly from 0 to `ratePerSecond` over
 * `rampSeconds`, then holds. With λ(t) that rate, the expected arrivals by t are Λ(t) = ∫λ, and the
 * k-th arrival is due at Λ⁻¹(k):
 *
 *   during the ramp (t ≤ T):  Λ(t) = r·t² / 2T        Λ⁻¹(k) = √(2·T·k / r)
 *   after it (t > T):         Λ(t) = r·T/2 + r·(t−T)   Λ⁻¹(k) = T/2 + k/r
 *
 * Uniform arrivals are k = 0, 1, 2, … (5/s for 20 s is exactly 100 orders, the first at 0 s);
 * Poisson arrivals map a unit-rate Poisson process through Λ⁻¹, which gives a Poisson process
 * whose rate follows λ(t).
 */
import type { Random } from './random.js';

export interface RateProfile {
  ratePerSecond: number;
  rampSeconds: number;
}

export type ArrivalProcess = 'uniform' | 'poisson';

/** The target rate (orders/s) at `t` seconds into the run. */
export function rateAt(profile: RateProfile, t: number): number {
  const { ratePerSecond: r, rampSeconds: T } = profile;
  if (t <= 0) return T > 0 ? 0 : r;
  return T > 0 && t < T ? (r * t) / T : r;
}

/** Expected arrivals in [0, t]: Λ(t). */
export function arrivalsBy(profile: RateProfile, t: number): number {
  const { ratePerSecond: r, rampSeconds: T } = profile;
  if (t <= 0) return 0;
  if (T > 0 && t <= T) return (r * t * t) / (2 * T);
  return (r * T) / 2 + r * (t - T);
}

/** When the expected arrivals reach `k`: Λ⁻¹(k), in seconds. */
export function timeOfArrival(profile: RateProfile, k: number): number {
  const { ratePerSecond: r, rampSeconds: T } = profile;
  if (k <= 0) return 0;
  if (T > 0 && k <= (r * T) / 2) return Math.sqrt((2 * T * k) / r);
  return T / 2 + k / r;
}

/** How many orders a uniform schedule sends in `durationSeconds`: arrivals at Λ⁻¹(k) < duration. */
export function uniformArrivalsWithin(profile: RateProfile, durationSeconds: number): number {
  return Math.max(0, Math.ceil(arrivalsBy(profile, durationSeconds) - 1e-9));
}

/**
 * The arrival times (seconds from the start), in order, until `durationSeconds` or `maxCount`
 * arrivals, whichever comes first.
 */
export function* arrivalTimes(
  profile: RateProfile,
  limits: { durationSeconds: number; maxCount: number },
  process: ArrivalProcess = 'uniform',
  random: Random = Math.random,
): Generator<number> {
  let cumulative = 0;
  for (let index = 0; index < limits.maxCount; index += 1) {
    // Exp(1) by inversion; 1 - random() is in (0, 1], so the logarithm is finite.
    cumulative = process === 'uniform' ? index : cumulative - Math.log(1 - random());
    const at = timeOfArrival(profile, cumulative);
    if (at >= limits.durationSeconds) return;
    yield at;
  }
}
