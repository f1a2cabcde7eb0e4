/**
 * A ledger database of a test's own: a fresh schema in the payments database (PAYMENT_DATABASE_URL),
 * migrated like the estate's, reached through a URL whose search path names it, and dropped after.
 * The estate's ledger never sees a test payment, so the auditor does not either.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AuthorizationRequest } from '../../activities/payment/gateway.js';
import { config } from '../../platform/config.js';
import { openDatabase } from '../../platform/db.js';
import { CardVault, PostgresCardStore } from '../../payment-sim/vault.js';
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

/** The approved test card, vaulted once in the scratch database: every simulator started on it can use the token. */
export async function vaultApprovedCard(database: ScratchLedgerDatabase): Promise<string> {
  const db = openDatabase(database.url, 'payments-test');
  try {
    return (await new CardVault(config().PAYMENT_VAULT_SECRET_KEYS, new PostgresCardStore(db)).tokenize('4242424242424242')).cardToken;
  } finally {
    await db.end();
  }
}

/** An authorization of 45,000 KRW on the vaulted card, keyed by order and attempt as the order worker keys it. */
export function authorizationRequest(cardToken: string, orderId: string = randomUUID(), attempt = 1): AuthorizationRequest {
  return { orderId, attempt, idempotencyKey: `authorize:${orderId}:${attempt}`, amountMinor: 45_000, currency: 'KRW', cardToken };
}
