/**
 * A ledger database of a test's own: a fresh schema in the payments database (PAYMENT_DATABASE_URL),
 * migrated like the estate's, reached through a URL whose search path names it, and dropped after.
 * The estate's ledger never sees a test payment, so the auditor does not either.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { config } from '../../platform/config.js';
import { migrateService } from '../../infra/programs/setup/service-databases.js';

export interface ScratchLedgerDatabase {
  /** PAYMENT_DATABASE_URL with `options=-c search_path=<schema>`. */
  url: string;
  schema: string;
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function scratchLedgerDatabase(): Promise<ScratchLedgerDatabase> {
  const base = config().PAYMENT_DATABASE_URL;
  const schema = `test_payments_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await migrateService('payment-sim', base, schema);
  const parsed = new URL(base);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  const url = parsed.toString();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    url,
    schema,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<R>(sql, params)).rows;
    },
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    },
  };
}
