/**
 * The budget for status polls, shared by every order: at most `concurrency` reads at the gateway at
 * once, and at most `perSecond` started per second. The concurrency cap alone would let fast answers
 * turn into a flood; the rate cap alone would let slow answers pile up. With both, the load
 * generator's own reads stay bounded however many orders are open: when many are, each is simply
 * polled less often. Waiters are served first come, first served.
 */
import { pause } from './pause.js';

export class PollLimiter {
  private active = 0;
  private started = 0;
  private nextStartAt = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly spacingMs: number;

  constructor(
    readonly concurrency: number,
    readonly perSecond: number = Number.POSITIVE_INFINITY,
  ) {
    this.spacingMs = 1000 / perSecond;
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Polls started so far. */
  get total(): number {
    return this.started;
  }

  /** Runs `poll` within the budget; undefined if `signal` aborts before it could start. */
  async run<T>(poll: () => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
    if (!(await this.paced(signal))) return undefined;
    if (!(await this.acquire(signal))) return undefined;
    this.started += 1;
    try {
      return await poll();
    } finally {
      this.release();
    }
  }

  /** Takes the next start time in the rate budget and waits for it. */
  private paced(signal?: AbortSignal): Promise<boolean> {
    if (!Number.isFinite(this.spacingMs)) return Promise.resolve(!signal?.aborted);
    const now = performance.now();
    const startAt = Math.max(now, this.nextStartAt);
    this.nextStartAt = startAt + this.spacingMs;
    return pause(startAt - now, signal);
  }

  private acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.active < this.concurrency) {
      this.active += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal?.removeEventListener('abort', giveUp);
        this.active += 1;
        resolve(true);
      };
      const giveUp = () => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(false);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', giveUp, { once: true });
    });
  }

  private release(): void {
    this.active -= 1;
    this.waiting.shift()?.();
  }
}
