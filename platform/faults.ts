/**
 * Fault injection for the activity workers (inventory, fulfillment): on demand, an activity is made
 * slow, or fails, before (or after) it does its work. The chaos suite (`make chaos`, docs/chaos.md)
 * uses it to widen the races between a step and its undo: with `reserveStock` held for 3 s, a cancel
 * sent 0-2.5 s after acceptance lands while the reservation is still to come. Demos can use it too.
 *
 * The shape follows payment-sim's scenarios (payment-sim/scenarios.ts): a book of faults held in the
 * worker's memory, so a restart clears it, and a small admin API on the service's HTTP port:
 *
 *   PUT    /admin/faults   {"reserveStock": {"latencyMs": 3000}}   the faults become exactly these
 *   GET    /admin/faults   the faults in force, and the activities that can be given one
 *   DELETE /admin/faults   no faults
 *
 * An injected delay is not cancellable, like a slow database call the activity does not watch: a
 * cancel of the step must wait for it (or be refused later), which is the race under test. It does
 * heartbeat, so a step with a heartbeat timeout is slowed rather than timed out; the heartbeat
 * carries the attempt's last details on, so a step that resumes from them loses nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Hono } from 'hono';
import { z } from 'zod';
import { problem } from './http.js';
import { zodProblem } from './validation.js';

const milliseconds = z.number().int().min(0).max(120_000);

export const activityFaultSchema = z.strictObject({
  /** Added delay, in ms. */
  latencyMs: milliseconds.default(0),
  /** Up to this much more, uniformly drawn per call, so delayed calls do not finish in step. */
  jitterMs: milliseconds.default(0),
  /** Before the activity's work (the step commits late: widens step-vs-undo races) or after it (the outcome arrives late). */
  phase: z.enum(['before', 'after']).default('before'),
  /** Share of calls failing with a retryable `InjectedFault` before any work is done. */
  errorRate: z.number().min(0).max(1).default(0),
});

export const faultPlanSchema = z.record(z.string(), activityFaultSchema);

export type ActivityFault = z.infer<typeof activityFaultSchema>;
export type FaultPlan = z.infer<typeof faultPlanSchema>;

/** The application failure type of an injected error: retryable, so the saga's retry policy applies. */
export const INJECTED_FAULT = 'InjectedFault';

/** How often a delayed activity heartbeats; the SDK throttles heartbeats below its own interval anyway. */
const HEARTBEAT_EVERY_MS = 500;

export class UnknownActivityError extends Error {
  override name = 'UnknownActivityError';
  constructor(
    readonly unknown: string[],
    readonly known: readonly string[],
  ) {
    super(`no activity named ${unknown.join(', ')} on this worker; known: ${known.join(', ')}`);
  }
}

/** The faults in force on one worker, by activity name. */
export class FaultBook {
  private faults: FaultPlan = {};
  private names: string[] = [];

  /** The activities that can be given a fault (set by `withFaults`). */
  get activities(): readonly string[] {
    return this.names;
  }

  register(names: Iterable<string>): void {
    this.names = [...new Set([...this.names, ...names])].sort();
  }

  /** Replaces every fault; throws UnknownActivityError, changing nothing, when a name is not an activity here. */
  replace(plan: FaultPlan): void {
    const unknown = Object.keys(plan).filter((name) => !this.names.includes(name));
    if (unknown.length > 0) throw new UnknownActivityError(unknown, this.names);
    this.faults = { ...plan };
  }

  get(activity: string): ActivityFault | undefined {
    return this.faults[activity];
  }

  all(): FaultPlan {
    return { ...this.faults };
  }

  reset(): void {
    this.faults = {};
  }
}

type ActivityFunction = (...args: never[]) => Promise<unknown>;

/**
 * The same activities, each consulting the book on every call. Registered in the worker instead of
 * the originals (workers/inventory/main.ts), so activity code knows nothing of faults.
 */
export function withFaults<Activities extends Record<string, ActivityFunction>>(
  activities: Activities,
  book: FaultBook,
  random: () => number = Math.random,
): Activities {
  book.register(Object.keys(activities));
  const wrapped: Record<string, ActivityFunction> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      const fault = book.get(name);
      if (!fault) return activity(...args);
      if (fault.errorRate > 0 && random() < fault.errorRate) {
        throw ApplicationFailure.retryable(`${name}: injected failure (PUT /admin/faults)`, INJECTED_FAULT);
      }
      const delayMs = fault.latencyMs + random() * fault.jitterMs;
      if (fault.phase === 'before') await delayWithHeartbeats(delayMs);
      const result = await activity(...args);
      if (fault.phase === 'after') await delayWithHeartbeats(delayMs);
      return result;
    };
  }
  return wrapped as Activities;
}

async function delayWithHeartbeats(ms: number): Promise<void> {
  if (ms <= 0) return;
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    // called outside an activity (a unit test): a plain delay
  }
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) {
    context?.heartbeat(context.info.heartbeatDetails);
    await sleep(Math.min(left, HEARTBEAT_EVERY_MS));
  }
}

/** The admin routes, mounted on the service's own API by its entry point. */
export function faultApi(book: FaultBook): Hono {
  const app = new Hono();
  const view = () => ({ faults: book.all(), activities: book.activities });

  app.get('/admin/faults', (c) => c.json(view()));

  app.put('/admin/faults', async (c) => {
    const parsed = faultPlanSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return zodProblem(c, parsed.error);
    try {
      book.replace(parsed.data);
    } catch (error) {
      if (!(error instanceof UnknownActivityError)) throw error;
      return problem(c, {
        status: 400,
        title: 'Bad Request',
        detail: error.message,
        errors: error.unknown.map((name) => ({ pointer: `/${name}`, detail: 'not an activity of this worker' })),
      });
    }
    return c.json(view());
  });

  app.delete('/admin/faults', (c) => {
    book.reset();
    return c.json(view());
  });

  return app;
}
