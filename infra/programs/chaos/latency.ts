/**
 * Latency that widens the saga's races, through the estate's own fault APIs: inventory's and
 * fulfillment's `PUT /admin/faults` (platform/faults.ts) hold `reserveStock` and `scheduleShipment`
 * before they commit, and payment-sim's `PUT /admin/scenario/:channel` slows authorizations on both
 * lines. With a step held for seconds, the load's cancels land while it is still running.
 *
 * Each window saves what was set before and puts it back when it ends, and asserts its setting again
 * every few seconds meanwhile: a service killed during the window comes back without it.
 */
import { config } from '../../../platform/config.js';
import { paymentChannels } from '../../../platform/contracts/order.js';

export const slowSteps = ['reserve', 'authorize', 'schedule'] as const;
export type SlowStep = (typeof slowSteps)[number];

export interface LatencySetting {
  /** Added delay in ms; each call draws up to `jitterMs` more. */
  latencyMs: number;
  jitterMs: number;
}

async function call(method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(3_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

/** One step's lever: how to read what is set, set the slowness, and put the old setting back. */
interface Lever {
  save(): Promise<unknown>;
  slow(saved: unknown, setting: LatencySetting): Promise<void>;
  restore(saved: unknown): Promise<void>;
}

function activityLever(baseUrl: string, activity: string): Lever {
  const url = `${baseUrl.replace(/\/+$/, '')}/admin/faults`;
  return {
    save: async () => ((await call('GET', url)) as { faults: Record<string, unknown> }).faults,
    slow: async (saved, { latencyMs, jitterMs }) => {
      await call('PUT', url, { ...(saved as object), [activity]: { latencyMs, jitterMs, phase: 'before' } });
    },
    restore: async (saved) => {
      await call('PUT', url, saved ?? {});
    },
  };
}

function paymentLever(baseUrl: string): Lever {
  const url = `${baseUrl.replace(/\/+$/, '')}/admin/scenario`;
  return {
    save: async () => call('GET', url),
    slow: async (saved, { latencyMs, jitterMs }) => {
      const scenarios = (saved ?? {}) as Record<string, object>;
      for (const channel of paymentChannels) {
        await call('PUT', `${url}/${channel}`, {
          ...scenarios[channel],
          latencyMs: { distribution: 'uniform', min: latencyMs, max: latencyMs + jitterMs },
        });
      }
    },
    restore: async (saved) => {
      const scenarios = (saved ?? {}) as Record<string, object>;
      for (const channel of paymentChannels) await call('PUT', `${url}/${channel}`, scenarios[channel] ?? {});
    },
  };
}

function leverOf(step: SlowStep): Lever {
  const env = config();
  switch (step) {
    case 'reserve':
      return activityLever(env.INVENTORY_URL, 'reserveStock');
    case 'authorize':
      return paymentLever(env.PAYMENT_HTTP_URL);
    case 'schedule':
      return activityLever(env.FULFILLMENT_URL, 'scheduleShipment');
  }
}

const REASSERT_EVERY_MS = 3_000;

/** A latency window in force: `end()` puts every lever back as it was. */
export class LatencyWindow {
  private readonly timer: NodeJS.Timeout;
  private readonly saved = new Map<SlowStep, unknown>();
  /** Calls that failed (a service down at that moment): tried again at the next reassertion. */
  failures = 0;

  private constructor(
    readonly steps: readonly SlowStep[],
    readonly setting: LatencySetting,
  ) {
    this.timer = setInterval(() => void this.assert(), REASSERT_EVERY_MS);
  }

  static async open(steps: readonly SlowStep[], setting: LatencySetting): Promise<LatencyWindow> {
    const window = new LatencyWindow(steps, setting);
    await window.assert();
    return window;
  }

  private async assert(): Promise<void> {
    for (const step of this.steps) {
      try {
        const lever = leverOf(step);
        if (!this.saved.has(step)) this.saved.set(step, await lever.save());
        await lever.slow(this.saved.get(step), this.setting);
      } catch {
        this.failures += 1;
      }
    }
  }

  /** Puts back what was set before; retried for a while, since the service may be restarting. */
  async end(deadlineMs = 30_000): Promise<SlowStep[]> {
    clearInterval(this.timer);
    const left = new Set(this.steps);
    const deadline = Date.now() + deadlineMs;
    while (left.size > 0 && Date.now() < deadline) {
      for (const step of [...left]) {
        try {
          await leverOf(step).restore(this.saved.get(step));
          left.delete(step);
        } catch {
          this.failures += 1;
        }
      }
      if (left.size > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    return [...left];
  }
}
