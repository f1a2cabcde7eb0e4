/**
 * Connection-pool metrics of every PostgreSQL pool, read from the pool when metrics are collected
 * (every export interval), not counted on every pool event:
 *
 * - `db.client.connection.count` {connection}, by `db.client.connection.state` (idle, used)
 * - `db.client.connection.pending_requests` {request}: callers waiting for a connection
 *
 * both with `db.client.connection.pool.name` (the service's database, e.g. `orders`). The names are
 * the database-client semantic conventions', the ones instrumentation-pg reports; its own counters
 * are switched off (sdk.ts) because it updates them on every connect, acquire and release, a
 * metric update per transaction, while an APM draws the same line from one reading per interval.
 */
import { type BatchObservableResult, type MeterProvider, metrics, type ObservableUpDownCounter } from '@opentelemetry/api';
import type pg from 'pg';

export const poolMetricNames = {
  connectionCount: 'db.client.connection.count',
  pendingRequests: 'db.client.connection.pending_requests',
} as const;

const POOL_NAME = 'db.client.connection.pool.name';
const STATE = 'db.client.connection.state';

const watched = new Map<pg.Pool, string>();
const registeredWith = new WeakSet<MeterProvider>();

function observe(result: BatchObservableResult, count: ObservableUpDownCounter, pending: ObservableUpDownCounter): void {
  for (const [pool, name] of watched) {
    if (pool.ended) {
      watched.delete(pool);
      continue;
    }
    const idle = pool.idleCount;
    result.observe(count, idle, { [POOL_NAME]: name, [STATE]: 'idle' });
    result.observe(count, pool.totalCount - idle, { [POOL_NAME]: name, [STATE]: 'used' });
    result.observe(pending, pool.waitingCount, { [POOL_NAME]: name });
  }
}

/** The instruments, made once per meter provider (a no-op one when telemetry is off). */
function registerInstruments(): void {
  const provider = metrics.getMeterProvider();
  if (registeredWith.has(provider)) return;
  registeredWith.add(provider);
  const meter = provider.getMeter('ordersaga');
  const count = meter.createObservableUpDownCounter(poolMetricNames.connectionCount, {
    description: 'Connections in the pool, by state',
    unit: '{connection}',
  });
  const pending = meter.createObservableUpDownCounter(poolMetricNames.pendingRequests, {
    description: 'Callers waiting for a connection from the pool',
    unit: '{request}',
  });
  meter.addBatchObservableCallback((result) => observe(result, count, pending), [count, pending]);
}

/** Reports `pool` under `name` until it ends. */
export function watchPool(pool: pg.Pool, name: string): void {
  registerInstruments();
  watched.set(pool, name);
}
