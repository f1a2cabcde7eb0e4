/**
 * When the chaos suite strikes, and what. Kills come one at a time: the next is chosen only once the
 * last piece has recovered, after a random pause. The first round kills every target once, in a
 * random order, with pauses drawn so the round fits in the run; afterwards, while time is left,
 * random targets again, up to a cap. Latency windows run on their own clock beside the kills, each
 * slowing one step (reserve, authorize, schedule) or all three. Pure: the randomness is passed in,
 * so a seed replays the same choices.
 */
import type { Random } from '../../../loadgen/random.js';
import type { Target } from './estate.js';
import type { SlowStep } from './latency.js';

export interface KillPlan {
  target: Target;
  /** Pause before the kill, from the moment the previous fault recovered (or the run began). */
  pauseMs: number;
  /** Part of the round that kills every target once. */
  firstRound: boolean;
}

export interface ScheduleSettings {
  durationMs: number;
  /** Most kills in one run, first round included. */
  maxKills: number;
  /** What one kill and its recovery are budgeted in the first round, so the round fits. */
  budgetPerKillMs?: number;
  minPauseMs?: number;
}

export class KillSchedule {
  private readonly firstRound: Target[];
  private kills = 0;
  private last: Target | undefined;

  constructor(
    private readonly targets: readonly Target[],
    private readonly settings: ScheduleSettings,
    private readonly random: Random,
  ) {
    this.firstRound = shuffle(targets, random);
  }

  /** Targets the first round has not reached yet. */
  get notYetKilled(): readonly Target[] {
    return this.firstRound;
  }

  /** A planned kill that did not happen (the run ended during its pause). */
  putBack(plan: KillPlan): void {
    this.kills -= 1;
    if (plan.firstRound) this.firstRound.unshift(plan.target);
  }

  /**
   * The next kill, or undefined when the kill budget is spent, or the first round is done and the
   * run's time is up. The first round always completes: every target is killed at least once, the
   * run (and its load) going on past its duration if need be (run.ts bounds that).
   */
  next(elapsedMs: number): KillPlan | undefined {
    const minPauseMs = this.settings.minPauseMs ?? 2_000;
    const budgetMs = this.settings.budgetPerKillMs ?? 20_000;
    const remainingMs = this.settings.durationMs - elapsedMs;
    if (this.kills >= this.settings.maxKills || this.targets.length === 0) return undefined;
    let target: Target;
    let pauseMs: number;
    const firstRound = this.firstRound.length > 0;
    if (firstRound) {
      target = this.firstRound.shift()!;
      const slack = Math.max(0, remainingMs - (this.firstRound.length + 1) * budgetMs);
      pauseMs = minPauseMs + this.random() * (slack / (this.firstRound.length + 1));
    } else {
      if (remainingMs <= minPauseMs) return undefined;
      const others = this.targets.length > 1 ? this.targets.filter((candidate) => candidate !== this.last) : this.targets;
      target = others[Math.floor(this.random() * others.length)]!;
      pauseMs = minPauseMs + this.random() * budgetMs;
      if (pauseMs >= remainingMs) return undefined;
    }
    this.kills += 1;
    this.last = target;
    return { target, pauseMs, firstRound };
  }
}

export interface LatencyPlan {
  steps: SlowStep[];
  pauseMs: number;
  lengthMs: number;
}

/** Windows take turns: reserve, authorize, schedule, then all three at once, and again. */
const windowSteps: SlowStep[][] = [['reserve'], ['authorize'], ['schedule'], ['reserve', 'authorize', 'schedule']];

export class LatencySchedule {
  private turn: number;

  constructor(private readonly random: Random) {
    this.turn = Math.floor(random() * windowSteps.length);
  }

  next(): LatencyPlan {
    const steps = windowSteps[this.turn % windowSteps.length]!;
    this.turn += 1;
    return { steps, pauseMs: 5_000 + this.random() * 15_000, lengthMs: 10_000 + this.random() * 20_000 };
  }
}

export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
