/**
 * Schema migrations (node-pg-migrate): one folder of SQL files per service, each applied as that
 * service's own role to that service's own database. Which services have a database, and where their
 * migrations live, is said by the services' side (infra/programs/setup/service-databases.ts), not here.
 */
import { runner } from 'node-pg-migrate';
import { config, type Environment } from './config.js';

export type DatabaseUrlVariable = {
  [K in keyof Environment]: K extends `${string}_DATABASE_URL` ? K : never;
}[keyof Environment];

/** A service's database: the variable that holds its URL, and the absolute path of its migrations folder. */
export interface ServiceDatabase {
  service: string;
  urlVariable: DatabaseUrlVariable;
  migrationsDir: string;
}

/**
 * Applies the pending migrations of one service's database; returns the names applied. `schema`
 * (created if missing) lets a test or benchmark keep its own tables apart from the estate's in the
 * same database.
 */
export async function migrateDatabase(database: ServiceDatabase, databaseUrl?: string, schema?: string): Promise<string[]> {
  const applied = await runner({
    databaseUrl: databaseUrl ?? config()[database.urlVariable],
    dir: database.migrationsDir,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    // node-pg-migrate's lock is one per database, and it fails at once rather than waiting: two tests
    // migrating schemas of their own in one database at the same time failed "Another migration is
    // already running". A schema of one's own has no other migrator, so it needs no lock.
    ...(schema ? { schema, createSchema: true, noLock: true } : {}),
    log: () => undefined,
  });
  return applied.map((migration) => migration.name);
}
