/**
 * Drives a run: the open model (orders arrive on a schedule, whatever the estate's pace) or the closed
 * model (N customers, each waiting for its order's end before the next). Submission stops at the
 * duration, the count, or `stop()`; orders in flight are then followed to their end or deadline, or
 * given up when `abandon()` is called.
 */
import { setMaxListeners } from 'node:events';
import type { GatewayClient } from './gateway-client.js';
import { scenarioPicker, type Mix } from './mix.js';
import type { LoadModel } from './options.js';
import { followOrder, type JourneySettings } from './order-journey.js';
import { pause } from './pause.js';
import { PollLimiter } from './poll-limiter.js';
import { RunRecord } from './run-record.js';
import type { Random } from './random.js';
import { arrivalTimes } from './schedule.js';
import type { OrderFactory, Scenario } from './scenarios.js';

export interface LoadRunSettings extends JourneySettings {
  model: LoadModel;
  rampSeconds: number;
  durationSeconds: number;
  maxCount: number;
  mix: Mix;
  pollConcurrency: number;
  pollsPerSecond: number;
}

/** How long a closed-model customer waits after a submission that got no order, before trying again. */
const RETRY_AFTER_FAILED_SUBMIT_MS = 1_000;

export class LoadRun {
  readonly record: RunRecord;
  readonly polls: PollLimiter;
  private readonly stopping = new AbortController();
  private readonly abandoning = new AbortController();
  private stopReason: string | undefined;
  private submissionsEnded = false;

  constructor(
    private readonly settings: LoadRunSettings,
    private readonly client: (abandon: AbortSignal) => GatewayClient,
    private readonly orders: OrderFactory,
    private readonly random: Random,
  ) {
    this.record = new RunRecord(settings.maxCount);
    // Every order in flight waits on these signals (pauses, requests, the poll queue): far more than
    // the default of 10 listeners, by design; each listener is removed when its wait ends.
    setMaxListeners(0, this.stopping.signal, this.abandoning.signal);
    this.polls = new PollLimiter(settings.pollConcurrency, settings.pollsPerSecond);
  }

  /** Why submission stopped early (Ctrl-C), if it did. */
  get interruptedBy(): string | undefined {
    return this.stopReason;
  }

  /** True once no more orders will be submitted. */
  get draining(): boolean {
    return this.submissionsEnded || this.stopping.signal.aborted;
  }

  /** Stop submitting; orders in flight go on to their end. */
  stop(reason: string): void {
    this.stopReason ??= reason;
    this.stopping.abort();
  }

  /** Give up on orders in flight: they are recorded as abandoned. */
  abandon(): void {
    this.stop('abandoned');
    this.abandoning.abort();
  }

  async run(): Promise<RunRecord> {
    const deadline = setTimeout(() => this.stopping.abort(), this.settings.durationSeconds * 1000);
    try {
      if (this.settings.model.kind === 'open') await this.runOpen(this.settings.model);
      else await this.runClosed(this.settings.model);
    } finally {
      clearTimeout(deadline);
    }
    return this.record;
  }

  private follow(nextScenario: () => Scenario) {
    const client = this.client(this.abandoning.signal);
    const deps = { client, record: this.record, polls: this.polls, settings: this.settings, abandon: this.abandoning.signal };
    return () => followOrder(this.orders(nextScenario()), deps);
  }

  private async runOpen(model: Extract<LoadModel, { kind: 'open' }>): Promise<void> {
    const submitOne = this.follow(scenarioPicker(this.settings.mix, this.random));
    const inFlight = new Set<Promise<unknown>>();
    const startedAt = performance.now();
    const schedule = arrivalTimes(
      { ratePerSecond: model.ratePerSecond, rampSeconds: this.settings.rampSeconds },
      { durationSeconds: this.settings.durationSeconds, maxCount: this.settings.maxCount },
      model.arrivals,
      Math.random,
    );
    for (const at of schedule) {
      const due = startedAt + at * 1000;
      if (!(await pause(due - performance.now(), this.stopping.signal))) break;
      this.record.scheduleLag(performance.now() - due);
      if (this.record.inFlight >= model.maxInFlight) {
        this.record.skip();
        continue;
      }
      const journey = submitOne().finally(() => inFlight.delete(journey));
      inFlight.add(journey);
    }
    this.submissionsEnded = true;
    await Promise.all(inFlight);
  }

  private async runClosed(model: Extract<LoadModel, { kind: 'closed' }>): Promise<void> {
    const submitOne = this.follow(scenarioPicker(this.settings.mix, this.random));
    let tickets = this.settings.maxCount;
    const stopSignal = this.stopping.signal;
    const customer = async (index: number): Promise<void> => {
      // The ramp brings customers in one by one, evenly over its length.
      if (!(await pause((this.settings.rampSeconds * 1000 * index) / model.concurrency, stopSignal))) return;
      while (!stopSignal.aborted && tickets > 0) {
        tickets -= 1;
        if (tickets === 0) this.submissionsEnded = true;
        const order = await submitOne();
        const pauseMs = order.orderId ? model.thinkMs : Math.max(model.thinkMs, RETRY_AFTER_FAILED_SUBMIT_MS);
        if (pauseMs > 0 && !(await pause(pauseMs, stopSignal))) return;
      }
    };
    await Promise.all(Array.from({ length: model.concurrency }, (_, index) => customer(index)));
    this.submissionsEnded = true;
  }
}
