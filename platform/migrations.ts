/**
 * Schema migrations, one folder of SQL files per service (node-pg-migrate), each applied as that
 * service's own role to that service's own database.
 */
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { config, type Environment } from './config.js';

type DatabaseUrlVariable = {
  [K in keyof Environment]: K extends `${string}_DATABASE_URL` ? K : never;
}[keyof Environment];

export const serviceDatabases: { service: string; urlVariable: DatabaseUrlVariable; migrations: string }[] = [
  { service: 'order', urlVariable: 'ORDER_DATABASE_URL', migrations: '../activities/order/migrations' },
  { service: 'inventory', urlVariable: 'INVENTORY_DATABASE_URL', migrations: '../activities/inventory/migrations' },
  { service: 'fulfillment', urlVariable: 'FULFILLMENT_DATABASE_URL', migrations: '../activities/fulfillment/migrations' },
  { service: 'analytics', urlVariable: 'ANALYTICS_DATABASE_URL', migrations: '../consumers/analytics/migrations' },
  { service: 'notification', urlVariable: 'NOTIFICATION_DATABASE_URL', migrations: '../consumers/notification/migrations' },
  { service: 'payment-sim', urlVariable: 'PAYMENT_DATABASE_URL', migrations: '../payment-sim/migrations' },
];

/**
 * Applies pending migrations of one service; returns the names applied. `schema` (created if missing)
 * lets a test or benchmark keep its own tables apart from the estate's in the same database.
 */
export async function migrateService(service: string, databaseUrl?: string, schema?: string): Promise<string[]> {
  const entry = serviceDatabases.find((candidate) => candidate.service === service);
  if (!entry) throw new Error(`no migrations for service ${service}`);
  const applied = await runner({
    databaseUrl: databaseUrl ?? config()[entry.urlVariable],
    dir: fileURLToPath(new URL(entry.migrations, import.meta.url)),
    direction: 'up',
    migrationsTable: 'schema_migrations',
    ...(schema ? { schema, createSchema: true } : {}),
    log: () => undefined,
  });
  return applied.map((migration) => migration.name);
}
