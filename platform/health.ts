/**
 * Liveness and readiness, the same three routes on every service's HTTP port:
 *
 * - `GET /health/live`: the process is up and its event loop turns (answering is the proof). It
 *   never touches a dependency, so a slow database or Temporal never gets a process killed by its
 *   liveness probe; only a wedged process fails it.
 * - `GET /health/ready`: the dependencies this service needs to do its job answer, each within
 *   READINESS_CHECK_TIMEOUT_MS: its database, its Temporal worker RUNNING, its Kafka consumer
 *   running, Temporal reachable for the order API. 200 `{status: "ready", checks}`, or 503 as an RFC
 *   9457 problem whose `checks` say which dependency failed and why. Also 503 once the service stops.
 * - `GET /health`: the same as `/health/ready`, for the dev scripts and older callers.
 *
 * Kubernetes' liveness and startup probes ask `/health/live`, its readiness probe and compose's
 * health checks `/health/ready` (infra/deploy/k8s/base, infra/deploy/compose).
 */
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { Context, Hono } from 'hono';
import type { Consumer } from 'kafkajs';
import { config } from './config.js';
import type { Database } from './db.js';
import { problem } from './http.js';
import { isStopping } from './service.js';

/** One dependency readiness depends on: `probe` resolves when it is fine and throws saying why when not. */
export interface ReadinessCheck {
  name: string;
  probe: () => Promise<void> | void;
}

const startedAt = Date.now();

export function mountHealth(app: Hono, checks: ReadinessCheck[] = []): Hono {
  app.get('/health/live', (c) => c.json({ status: 'alive', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }));
  const ready = async (c: Context) => {
    if (isStopping()) {
      return problem(c, { status: 503, title: 'Service Unavailable', detail: 'the service is stopping', checks: { service: 'stopping' } });
    }
    const results = await Promise.all(checks.map(async (check) => [check.name, await outcome(check)] as const));
    const failed = results.filter(([, result]) => result !== 'ok');
    if (failed.length === 0) return c.json({ status: 'ready', checks: Object.fromEntries(results) });
    return problem(c, {
      status: 503,
      title: 'Service Unavailable',
      detail: `not ready: ${failed.map(([name, result]) => `${name}: ${result}`).join('; ')}`,
      checks: Object.fromEntries(results),
    });
  };
  app.get('/health/ready', ready);
  app.get('/health', ready);
  return app;
}

/** 'ok', or why not: the probe's error, or that it did not answer in time. */
async function outcome(check: ReadinessCheck): Promise<string> {
  const timeoutMs = config().READINESS_CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check.probe)
        .then(
          () => 'ok',
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The service's database answers a query; when it does not, says how busy the pool is. */
export function databaseReady(db: Database, name = 'database'): ReadinessCheck {
  return {
    name,
    probe: async () => {
      // its own deadline, inside the check's, so the answer can say how busy the pool was
      const deadlineMs = Math.max(50, Math.floor(config().READINESS_CHECK_TIMEOUT_MS * 0.8));
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          db.query('SELECT 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
          }),
        ]);
      } catch (error) {
        const pool = `pool: ${db.totalCount - db.idleCount} of ${db.options.max ?? '?'} connections in use, ${db.waitingCount} requests waiting`;
        throw new Error(`${(error as Error).message} (${pool})`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The service's Temporal worker polls its task queue (state RUNNING). */
export function temporalWorkerRunning(worker: Worker, taskQueue: string): ReadinessCheck {
  return {
    name: 'temporalWorker',
    probe: () => {
      const state = worker.getState();
      if (state !== 'RUNNING') throw new Error(`the worker on task queue ${taskQueue} is ${state}`);
    },
  };
}

/** The Temporal frontend answers its gRPC health check (for a service that starts workflows on request). */
export function temporalReachable(connection: Pick<Connection | NativeConnection, 'healthService' | 'withDeadline'>): ReadinessCheck {
  return {
    name: 'temporal',
    probe: async () => {
      const deadline = Date.now() + config().READINESS_CHECK_TIMEOUT_MS;
      try {
        await connection.withDeadline(deadline, () => connection.healthService.check({}));
      } catch (error) {
        throw new Error(`Temporal at ${config().TEMPORAL_ADDRESS} does not answer: ${(error as Error).message}`);
      }
    },
  };
}

/**
 * The service's Kafka consumer is running: not crashed for good (kafkajs gave up restarting it) and
 * not stopped. A crash kafkajs restarts from is not a readiness failure.
 */
export function kafkaConsumerRunning(consumer: Consumer): ReadinessCheck {
  let down: string | undefined;
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) down = `crashed and not restarting: ${event.payload.error.message}`;
  });
  consumer.on(consumer.events.STOP, () => {
    down ??= 'stopped';
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    down = undefined;
  });
  return {
    name: 'kafkaConsumer',
    probe: () => {
      if (down) throw new Error(`the consumer ${down}`);
    },
  };
}
