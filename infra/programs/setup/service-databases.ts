/**
 * The services that own a database, and where each keeps its migrations (beside its code), as the
 * estate lists them (infra/estate.json): what `npm run setup` and `npm run migrate` walk; platform/migrations.ts only knows how to apply a
 * folder, so the shared code never names a service.
 */
import { join } from 'node:path';
import { type DatabaseUrlVariable, migrateDatabase, type ServiceDatabase } from '../../../platform/migrations.js';
import { estate, repositoryRoot } from '../../estate.js';

/** The variable names are checked against platform/config.ts by test/deploy/estate.test.ts. */
export const serviceDatabases: readonly ServiceDatabase[] = estate.databases.map((database) => ({
  service: database.service,
  urlVariable: database.urlVariable as DatabaseUrlVariable,
  migrationsDir: join(repositoryRoot, database.migrations),
}));

/** Applies pending migrations of one service (by name); returns the names applied. See migrateDatabase. */
export async function migrateService(service: string, databaseUrl?: string, schema?: string): Promise<string[]> {
  const database = serviceDatabases.find((candidate) => candidate.service === service);
  if (!database) throw new Error(`no migrations for service ${service}`);
  return migrateDatabase(database, databaseUrl, schema);
}
