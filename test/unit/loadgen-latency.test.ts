/** Latency percentiles (loadgen/latency.ts): nearest rank over the exact samples. */
import test from 'ava';
import { LatencyRecorder, percentile, summarizeLatencies } from '../../loadgen/latency.js';

test('nearest-rank percentiles of 1..100 are the values themselves', (t) => {
  const values = Array.from({ length: 100 }, (_, index) => index + 1);
  t.is(percentile(values, 50), 50);
  t.is(percentile(values, 90), 90);
  t.is(percentile(values, 99), 99);
  t.is(percentile(values, 100), 100);
  t.is(percentile(values, 0), 1);
});

test('a percentile is always one of the samples', (t) => {
  t.is(percentile([10, 20, 30], 50), 20);
  t.is(percentile([10, 20, 30, 40], 50), 20);
  t.is(percentile([10, 20, 30, 40], 51), 30);
  t.is(percentile([7], 99), 7);
  t.true(Number.isNaN(percentile([], 50)));
});

test('the summary sorts numerically, not as strings', (t) => {
  const summary = summarizeLatencies([900, 80, 1000, 7, 60, 5000, 3, 20, 100, 40]);
  t.deepEqual(summary, { count: 10, min: 3, mean: 721, p50: 60, p90: 1000, p99: 5000, max: 5000 });
  t.is(summarizeLatencies([]), undefined);
});

test('the recorder keeps at most its capacity and ignores nonsense', (t) => {
  const recorder = new LatencyRecorder(3);
  for (const value of [5, Number.NaN, -1, 1, 9, 100]) recorder.record(value);
  t.is(recorder.summary()?.count, 3);
  t.is(recorder.summary()?.max, 9);
  t.is(recorder.overflow, 1);
});
