/** The open model's arrival schedule (loadgen/schedule.ts): a linear ramp, then a steady rate. */
import test from 'ava';
import { seededRandom } from '../../loadgen/random.js';
import { arrivalsBy, arrivalTimes, rateAt, timeOfArrival, uniformArrivalsWithin } from '../../loadgen/schedule.js';

const steady = { ratePerSecond: 5, rampSeconds: 0 };
const ramped = { ratePerSecond: 10, rampSeconds: 4 };

test('without a ramp the rate holds from the start', (t) => {
  t.is(rateAt(steady, 0), 5);
  t.is(rateAt(steady, 12), 5);
  t.is(arrivalsBy(steady, 20), 100);
  t.is(timeOfArrival(steady, 100), 20);
});

test('the ramp climbs linearly from 0 to the rate, then holds', (t) => {
  t.is(rateAt(ramped, 0), 0);
  t.is(rateAt(ramped, 1), 2.5);
  t.is(rateAt(ramped, 2), 5);
  t.is(rateAt(ramped, 4), 10);
  t.is(rateAt(ramped, 100), 10);
  // The area under the ramp is a triangle, r·T/2 = 20; then 10 per second.
  t.is(arrivalsBy(ramped, 2), 5);
  t.is(arrivalsBy(ramped, 4), 20);
  t.is(arrivalsBy(ramped, 6), 40);
});

test('timeOfArrival inverts arrivalsBy, during and after the ramp', (t) => {
  for (const k of [0.5, 1, 5, 19.9, 20, 20.1, 37, 400]) {
    t.true(Math.abs(arrivalsBy(ramped, timeOfArrival(ramped, k)) - k) < 1e-9, `k = ${k}`);
  }
  t.is(timeOfArrival(ramped, 0), 0);
  t.is(timeOfArrival(ramped, 5), 2);
});

test('uniform arrivals: 5/s for 20 s is exactly 100 orders, evenly spaced from 0 s', (t) => {
  const times = [...arrivalTimes(steady, { durationSeconds: 20, maxCount: 1_000 })];
  t.is(times.length, 100);
  t.is(uniformArrivalsWithin(steady, 20), 100);
  t.is(times[0], 0);
  t.true(Math.abs(times[1]! - 0.2) < 1e-12);
  t.true(Math.abs(times[99]! - 19.8) < 1e-9);
});

test('the count ends the schedule before the duration when it comes first', (t) => {
  t.is([...arrivalTimes(steady, { durationSeconds: 20, maxCount: 7 })].length, 7);
});

test('during a ramp the gaps shrink', (t) => {
  const times = [...arrivalTimes(ramped, { durationSeconds: 4, maxCount: 1_000 })];
  t.is(times.length, uniformArrivalsWithin(ramped, 4));
  const gaps = times.slice(1).map((at, index) => at - times[index]!);
  t.true(gaps.every((gap, index) => index === 0 || gap <= gaps[index - 1]! + 1e-12));
});

test('Poisson arrivals keep the mean rate and are increasing', (t) => {
  const times = [
    ...arrivalTimes({ ratePerSecond: 50, rampSeconds: 0 }, { durationSeconds: 200, maxCount: 1e6 }, 'poisson', seededRandom(1)),
  ];
  t.true(times.every((at, index) => index === 0 || at > times[index - 1]!));
  // 10 000 expected; the standard deviation is 100.
  t.true(Math.abs(times.length - 10_000) < 500, `${times.length} arrivals`);
});
