/**
 * The estate's one list of services and databases (infra/estate.json), checked and typed for the
 * TypeScript side. The bash dev stack reads the same file; manifests that must spell a list are
 * checked against it by test/deploy/estate.test.ts. A service, a port or a database is added there
 * and nowhere else (or where a test says so).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const port = z.number().int().min(1).max(65_535);

const estateSchema = z.strictObject({
  $comment: z.string(),
  services: z.array(
    z.strictObject({
      name: z.string().regex(/^[a-z][a-z-]*$/),
      /** The process's entry point, from the repository's root. */
      entry: z.string().endsWith('.ts'),
      /** Where it answers `/health` and its API. */
      httpPort: port,
      otherPorts: z.array(port).optional(),
      /**
       * V8 and Node flags it starts with, before its entry point: the dev stack (infra/local/services.sh),
       * compose and Kubernetes pass them alike (test/deploy/compose.test.ts, kubernetes.test.ts). Flags set at start only.
       */
      nodeFlags: z.array(z.string().regex(/^--[a-z][a-z0-9-]*(=[\w.-]+)?$/)).optional(),
    }),
  ),
  databases: z.array(
    z.strictObject({
      name: z.string().regex(/^[a-z_]+$/),
      /** The LOGIN role that owns it, the only one that may connect; its dev password is its name. */
      role: z.string().regex(/^[a-z_]+$/),
      /** The service that owns it. */
      service: z.string(),
      /** The environment variable that holds its URL (platform/config.ts). */
      urlVariable: z.string().regex(/^[A-Z_]+_DATABASE_URL$/),
      /** Its migrations, from the repository's root. */
      migrations: z.string(),
    }),
  ),
});

export type Estate = z.infer<typeof estateSchema>;
export type EstateService = Estate['services'][number];
export type EstateDatabase = Estate['databases'][number];

/** The repository's root, with a trailing slash. */
export const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

export const estateFile = fileURLToPath(new URL('./estate.json', import.meta.url));

export const estate: Estate = estateSchema.parse(JSON.parse(readFileSync(estateFile, 'utf8')));

/** The seven services, in start order. */
export const serviceNames: readonly string[] = estate.services.map((service) => service.name);

/** The database's URL as the dev stack serves it (the default in platform/config.ts). */
export function localDatabaseUrl(database: EstateDatabase, host = 'localhost'): string {
  return `postgres://${database.role}:${database.role}@${host}:5432/${database.name}`;
}
