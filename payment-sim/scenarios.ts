/**
 * Scenarios steer authorizations on one line (http or tcp) away from the test-card rules: added
 * latency, gateway errors, random declines, and timeouts (the approval is recorded but never
 * answered, which is what leaves a merchant with an unknown outcome). Void, refund and reversal
 * are never steered, so compensations and 망취소 stay dependable under any scenario.
 */
import { z } from 'zod';
import { paymentChannels, type PaymentChannel } from '../platform/contracts/order.js';

const rate = z.number().min(0).max(1);
const milliseconds = z.number().min(0).max(600_000);

export const latencySchema = z.union([
  milliseconds,
  z
    .strictObject({ distribution: z.literal('uniform'), min: milliseconds, max: milliseconds })
    .refine((latency) => latency.min <= latency.max, { message: 'min must not exceed max', path: ['max'] }),
  z.strictObject({ distribution: z.literal('normal'), mean: milliseconds, stddev: milliseconds }),
]);

export const scenarioSchema = z.strictObject({
  latencyMs: latencySchema.default(0),
  /** Share of authorizations answered with a gateway error (HTTP 500, telegram 0096). */
  errorRate: rate.default(0),
  /** Share of authorizations declined (`generic_decline`) whatever the card. */
  declineRate: rate.default(0),
  /** Share of authorizations recorded but never answered. */
  timeoutRate: rate.default(0),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type Latency = z.infer<typeof latencySchema>;

export const defaultScenario: Scenario = Object.freeze({ latencyMs: 0, errorRate: 0, declineRate: 0, timeoutRate: 0 });

/** What a scenario makes of one authorization, decided once when it arrives. */
export interface ScenarioRoll {
  latencyMs: number;
  error: boolean;
  decline: boolean;
  timeout: boolean;
}

export class ScenarioBook {
  private readonly scenarios = new Map<PaymentChannel, Scenario>();

  set(channel: PaymentChannel, scenario: Scenario): void {
    this.scenarios.set(channel, scenario);
  }

  get(channel: PaymentChannel): Scenario {
    return this.scenarios.get(channel) ?? defaultScenario;
  }

  all(): Record<PaymentChannel, Scenario> {
    return Object.fromEntries(paymentChannels.map((channel) => [channel, this.get(channel)])) as Record<PaymentChannel, Scenario>;
  }

  reset(): void {
    this.scenarios.clear();
  }

  /** Rolls each effect independently, so `errorRate: 0.1, timeoutRate: 0.1` means 10 % of each. */
  roll(channel: PaymentChannel, random: () => number = Math.random): ScenarioRoll {
    const scenario = this.get(channel);
    return {
      latencyMs: sampleLatency(scenario.latencyMs, random),
      error: scenario.errorRate > 0 && random() < scenario.errorRate,
      decline: scenario.declineRate > 0 && random() < scenario.declineRate,
      timeout: scenario.timeoutRate > 0 && random() < scenario.timeoutRate,
    };
  }
}

export function sampleLatency(latency: Latency, random: () => number = Math.random): number {
  if (typeof latency === 'number') return latency;
  if (latency.distribution === 'uniform') return latency.min + random() * (latency.max - latency.min);
  // Box–Muller; a negative draw means "no added latency", not time travel.
  const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.max(0, latency.mean + gaussian * latency.stddev);
}
