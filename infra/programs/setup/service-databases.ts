/**
 * The services that own a database, and where each keeps its migrations (beside its code). The one
 * list `npm run setup` and `npm run migrate` walk; platform/migrations.ts only knows how to apply a
 * folder, so the shared code never names a service.
 */
import { fileURLToPath } from 'node:url';
import { migrateDatabase, type ServiceDatabase } from '../../../platform/migrations.js';

const folder = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const serviceDatabases: readonly ServiceDatabase[] = [
  { service: 'order', urlVariable: 'ORDER_DATABASE_URL', migrationsDir: folder('../../../activities/order/migrations') },
  { service: 'inventory', urlVariable: 'INVENTORY_DATABASE_URL', migrationsDir: folder('../../../activities/inventory/migrations') },
  { service: 'fulfillment', urlVariable: 'FULFILLMENT_DATABASE_URL', migrationsDir: folder('../../../activities/fulfillment/migrations') },
  { service: 'analytics', urlVariable: 'ANALYTICS_DATABASE_URL', migrationsDir: folder('../../../consumers/analytics/migrations') },
  {
    service: 'notification',
    urlVariable: 'NOTIFICATION_DATABASE_URL',
    migrationsDir: folder('../../../consumers/notification/migrations'),
  },
  { service: 'payment-sim', urlVariable: 'PAYMENT_DATABASE_URL', migrationsDir: folder('../../../payment-sim/migrations') },
];

/** Applies pending migrations of one service (by name); returns the names applied. See migrateDatabase. */
export async function migrateService(service: string, databaseUrl?: string, schema?: string): Promise<string[]> {
  const database = serviceDatabases.find((candidate) => candidate.service === service);
  if (!database) throw new Error(`no migrations for service ${service}`);
  return migrateDatabase(database, databaseUrl, schema);
}
