/**
 * One rate step of the saga benchmark, and the climb through the steps: orders arrive on the open
 * model's uniform schedule (loadgen/schedule.ts) at a fixed rate for a fixed time, each followed to
 * its end by whoever `journey` is (the estate through the gateway, or the ceiling workflow), and the
 * step passes when every order COMPLETED, p99 submit→COMPLETED stayed under the goal, and no backlog
 * built up. CPU is measured over the step's steady part, memory at its end.
 */
import { setMaxListeners } from 'node:events';
import { type LatencySummary, summarizeLatencies } from '../loadgen/latency.js';
import { pause } from '../loadgen/pause.js';
import { arrivalTimes } from '../loadgen/schedule.js';
import { cpuBetween, cpuSnapshot, type CpuUsage, memorySnapshot, type Piece, type PieceMemory } from './saga-processes.js';

/** How one order ended, as its journey saw it. */
export interface JourneyOutcome {
  /** A terminal status (`COMPLETED` is the only good one here), or `<stage>:<what>` for a failure. */
  outcome: string;
  /** Submission to its acceptance (202 from the gateway, or the workflow start's answer). */
  acceptMs?: number;
  /** Submission to the saga's result as the Temporal client saw it. */
  completeMs?: number;
}

/** Submits one order and follows it to its end; `abandon` cuts the wait short. Never throws. */
export type Journey = (abandon: AbortSignal) => Promise<JourneyOutcome>;

export interface StepSettings {
  seconds: number;
  /** CPU and throughput are measured after this much of the step (the first orders warm things up). */
  warmupSeconds: number;
  /** After the last submission, orders still open this much later are a backlog. */
  drainSeconds: number;
  /** Orders still open after the drain get this much longer before they are given up. */
  settleSeconds: number;
  p99GoalMs: number;
}

export interface StepResult {
  rate: number;
  submitted: number;
  completed: number;
  /** Outcomes other than COMPLETED, by kind. */
  failures: Record<string, number>;
  /** Completed orders per second while the step was steady (after the warm-up, until the last submission). */
  completedPerSecond: number;
  /** Orders still open `drainSeconds` after the last submission. */
  backlog: number;
  /** Submission stopped before the step's end because orders piled up. */
  stoppedEarly: boolean;
  latency: LatencySummary | undefined;
  accept: LatencySummary | undefined;
  /** How late the benchmark sent orders against the schedule: more than timer jitter means it was short of CPU itself. */
  scheduleLagP99Ms: number;
  cpu: CpuUsage;
  memory: PieceMemory[];
  passed: boolean;
  reasons: string[];
}

interface OrderTrack {
  submittedAt: number;
  doneAt?: number;
  result?: JourneyOutcome;
}

/** Stop submitting when this many seconds of arrivals are open at once: the step has failed, more only lengthens the drain. */
const COLLAPSE_SECONDS_OF_ARRIVALS = 4;

export async function runStep(
  rate: number,
  settings: StepSettings,
  journey: Journey,
  pieces: Piece[],
  stop: AbortSignal,
): Promise<StepResult> {
  const abandon = new AbortController();
  // Every open order waits on this signal; each listener goes when its wait ends.
  setMaxListeners(0, abandon.signal);
  const giveUp = () => abandon.abort();
  stop.addEventListener('abort', giveUp, { once: true });

  const tracks: OrderTrack[] = [];
  const open = new Set<Promise<void>>();
  const lags: number[] = [];
  const collapseAt = Math.max(20, rate * COLLAPSE_SECONDS_OF_ARRIVALS);
  let stoppedEarly = false;
  const startedAt = performance.now();
  let cpuStart = cpuSnapshot(pieces);
  const warmup = setTimeout(() => (cpuStart = cpuSnapshot(pieces)), settings.warmupSeconds * 1000);
  const warmEndsAt = startedAt + settings.warmupSeconds * 1000;

  for (const at of arrivalTimes(
    { ratePerSecond: rate, rampSeconds: 0 },
    { durationSeconds: settings.seconds, maxCount: Number.MAX_SAFE_INTEGER },
  )) {
    const due = startedAt + at * 1000;
    if (!(await pause(due - performance.now(), stop))) break;
    lags.push(performance.now() - due);
    if (open.size >= collapseAt) {
      stoppedEarly = true;
      break;
    }
    const track: OrderTrack = { submittedAt: performance.now() };
    tracks.push(track);
    const followed = journey(abandon.signal)
      .catch((error: unknown): JourneyOutcome => ({ outcome: `benchmark:${(error as Error).name ?? 'error'}` }))
      .then((result) => {
        track.result = result;
        track.doneAt = performance.now();
        open.delete(followed);
      });
    open.add(followed);
  }
  clearTimeout(warmup);
  const submissionEndedAt = performance.now();
  const cpu = cpuBetween(cpuStart, cpuSnapshot(pieces));
  const memory = memorySnapshot(pieces);

  await Promise.race([Promise.all(open), pause(settings.drainSeconds * 1000, stop)]);
  const backlog = open.size;
  if (open.size > 0) await Promise.race([Promise.all(open), pause(settings.settleSeconds * 1000, stop)]);
  abandon.abort();
  await Promise.all(open);
  stop.removeEventListener('abort', giveUp);

  const failures: Record<string, number> = {};
  const latencies: number[] = [];
  const accepts: number[] = [];
  for (const track of tracks) {
    const result = track.result ?? { outcome: 'benchmark:abandoned' };
    if (result.acceptMs !== undefined) accepts.push(result.acceptMs);
    if (result.outcome === 'COMPLETED' && result.completeMs !== undefined) latencies.push(result.completeMs);
    else failures[result.outcome] = (failures[result.outcome] ?? 0) + 1;
  }
  const windowEnd = submissionEndedAt;
  const windowStart = Math.min(warmEndsAt, windowEnd);
  const inWindow = tracks.filter(
    (track) =>
      track.result?.outcome === 'COMPLETED' && track.doneAt !== undefined && track.doneAt >= windowStart && track.doneAt <= windowEnd,
  ).length;
  const windowSeconds = (windowEnd - windowStart) / 1000;
  const completedPerSecond = windowSeconds > 1 ? inWindow / windowSeconds : Number.NaN;
  const latency = summarizeLatencies(latencies);
  const sortedLags = lags.sort((a, b) => a - b);

  const reasons: string[] = [];
  const failed = tracks.length - latencies.length;
  if (tracks.length === 0) reasons.push('no order was submitted');
  if (failed > 0) reasons.push(`${failed} of ${tracks.length} orders did not complete`);
  if (latency && latency.p99 >= settings.p99GoalMs) reasons.push(`p99 ${Math.round(latency.p99)} ms ≥ ${settings.p99GoalMs} ms`);
  if (stoppedEarly)
    reasons.push(`stopped after ${((submissionEndedAt - startedAt) / 1000).toFixed(1)} s: ${collapseAt} orders open at once`);
  if (backlog > 0) reasons.push(`backlog: ${backlog} orders still open ${settings.drainSeconds} s after the last submission`);
  // Completions trail arrivals by the saga's latency, so allow 10 % before calling it a backlog.
  if (Number.isFinite(completedPerSecond) && completedPerSecond < rate * 0.9) {
    reasons.push(`completed ${completedPerSecond.toFixed(1)}/s < 90 % of the offered ${rate}/s`);
  }
  if (stop.aborted) reasons.push('interrupted');

  return {
    rate,
    submitted: tracks.length,
    completed: latencies.length,
    failures,
    completedPerSecond,
    backlog,
    stoppedEarly,
    latency,
    accept: summarizeLatencies(accepts),
    scheduleLagP99Ms: sortedLags[Math.max(0, Math.ceil(sortedLags.length * 0.99) - 1)] ?? 0,
    cpu,
    memory,
    passed: reasons.length === 0,
    reasons,
  };
}

export interface Climb {
  steps: StepResult[];
  /** The highest step that passed, if any. */
  best: StepResult | undefined;
  /** Why the climb ended: a step missed the goal, the ladder or the time budget ran out, or Ctrl-C. */
  endedBy: string;
}

/**
 * Steps up the ladder until a step fails, the ladder ends, or the next step would not finish
 * before `deadline` (performance.now() time).
 */
export async function climb(
  ladder: readonly number[],
  settings: StepSettings,
  journey: Journey,
  pieces: Piece[],
  stop: AbortSignal,
  deadline: number,
  report: (step: StepResult) => void,
  announce: (rate: number) => void,
): Promise<Climb> {
  const steps: StepResult[] = [];
  let endedBy = `the ladder ends at ${ladder.at(-1)}/s`;
  for (const rate of ladder) {
    if (stop.aborted) {
      endedBy = 'interrupted';
      break;
    }
    const needs = (settings.seconds + settings.drainSeconds + 2) * 1000;
    if (performance.now() + needs > deadline) {
      endedBy = `time budget: no time left for ${rate}/s`;
      break;
    }
    announce(rate);
    const step = await runStep(rate, settings, journey, pieces, stop);
    steps.push(step);
    report(step);
    if (!step.passed) {
      endedBy = `${rate}/s missed: ${step.reasons.join('; ')}`;
      break;
    }
  }
  const passed = steps.filter((step) => step.passed);
  return { steps, best: passed.at(-1), endedBy };
}
