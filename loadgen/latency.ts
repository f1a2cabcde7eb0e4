/**
 * Latency percentiles from the exact samples. The run is capped in orders (see options.ts), so the
 * samples are too: at most one value per order per measure, which is small enough to keep and sort,
 * and exact where a histogram would round.
 */

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least p% of values ≤ it. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * sortedAscending.length);
  return sortedAscending[Math.max(rank, 1) - 1]!;
}

/** Count, min, mean, p50/p90/p99 and max; `undefined` when there is nothing to summarise. */
export function summarizeLatencies(values: readonly number[]): LatencySummary | undefined {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  const asArray = Array.from(sorted);
  const sum = asArray.reduce((total, value) => total + value, 0);
  return {
    count: asArray.length,
    min: asArray[0]!,
    mean: sum / asArray.length,
    p50: percentile(asArray, 50),
    p90: percentile(asArray, 90),
    p99: percentile(asArray, 99),
    max: asArray[asArray.length - 1]!,
  };
}

/** Collects one measure's samples, in milliseconds, up to a bound (the run's order cap). */
export class LatencyRecorder {
  private readonly values: number[] = [];
  private dropped = 0;

  constructor(private readonly capacity: number) {}

  record(milliseconds: number): void {
    if (!Number.isFinite(milliseconds) || milliseconds < 0) return;
    if (this.values.length < this.capacity) this.values.push(milliseconds);
    else this.dropped += 1;
  }

  /** Samples past the bound (none while the run respects its caps). */
  get overflow(): number {
    return this.dropped;
  }

  summary(): LatencySummary | undefined {
    return summarizeLatencies(this.values);
  }
}
