/**
 * PostgreSQL helpers shared by every service. Each service opens a pool on its own database only
 * (its own role cannot connect to any other).
 */
import pg from 'pg';
import { config } from './config.js';
import { checkDatabaseUrl, databaseUrlVariable } from './connections.js';
import { logger } from './logger.js';
import { watchPool } from './telemetry/db-pool-metrics.js';
import { traceQueriesOnlyWhenRecorded } from './telemetry/pg-recorded-only.js';

export type Database = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

// An unsampled order's queries skip the span work nobody would see (telemetry/pg-recorded-only.ts).
traceQueriesOnlyWhenRecorded(pg.Client.prototype);

// BIGINT and NUMERIC come back as strings by default; our amounts are integers of won, which fit.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export function openDatabase(url: string, name: string): Database {
  // TLS comes from the URL itself (sslmode, sslrootcert, ...), which pg applies; check it first, so a
  // wrong mode or a missing certificate names its variable at start instead of failing on connect.
  checkDatabaseUrl(databaseUrlVariable(config(), url), url);
  const pool = new pg.Pool({
    connectionString: url,
    max: config().DATABASE_POOL_SIZE,
    application_name: `ordersaga-${name}`,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => logger('db').warn({ err: error, database: name }, 'idle database client failed'));
  watchPool(pool, name);
  return pool;
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
