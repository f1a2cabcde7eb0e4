/**
 * The test identity: what `make test` runs its services under, so the suite never writes into the
 * user's estate (`make check` after `make test` stays clean). Same PostgreSQL, Kafka and Temporal,
 * different names in each:
 *
 *   PostgreSQL  every `*_DATABASE_URL` points at `<database>_test` (owned by the same role)
 *   Kafka       topics `ordersaga-test.*`, consumer groups `ordersaga-test.<service>`, client ids `ordersaga-test-*`
 *   Temporal    namespace `ordersaga-test`, with the estate's custom search attributes
 *
 *   npx tsx infra/programs/setup/test-estate.ts env                          KEY=value lines of the identity
 *   npx tsx infra/programs/setup/test-estate.ts prepare --postgres-socket D  create what is missing (idempotent)
 *
 * infra/local/test.sh exports the `env` lines, runs `prepare` (the superuser reaches PostgreSQL over its
 * unix socket directory D, as infra/local/postgres/init.sh does), then the usual migrations, topics and seed
 * under the identity. The identity is derived from the caller's configuration, so a user's own
 * database URLs get their own `_test` twins.
 */
import pg from 'pg';
import { type Environment, environmentSchema, parseEnvironment } from '../../../platform/config.js';
import { prepareNamespace } from './temporal-namespace.js';

export const TEST_SUFFIX = '_test';
export const TEST_NAMESPACE = 'ordersaga-test';
export const TEST_KAFKA_PREFIX = 'ordersaga-test';

type DatabaseUrlVariable = Extract<keyof Environment, `${string}_DATABASE_URL`>;

/** Every `*_DATABASE_URL` the configuration knows, so a service's new database is covered the day it is added. */
export function databaseUrlVariables(): DatabaseUrlVariable[] {
  return Object.keys(environmentSchema.shape).filter((key): key is DatabaseUrlVariable => key.endsWith('_DATABASE_URL'));
}

/** The same URL with `_test` appended to the database name (unchanged if it already ends so). */
export function testDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.slice(1));
  if (!database.endsWith(TEST_SUFFIX)) parsed.pathname = `/${encodeURIComponent(database + TEST_SUFFIX)}`;
  return parsed.toString();
}

/** The variables that make a service part of the test estate, derived from `env` (the caller's configuration). */
export function testIdentity(env: Environment = parseEnvironment()): Record<string, string> {
  const identity: Record<string, string> = {};
  for (const variable of databaseUrlVariables()) identity[variable] = testDatabaseUrl(env[variable]);
  identity.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
  identity.KAFKA_TOPIC_PREFIX = TEST_KAFKA_PREFIX;
  identity.KAFKA_CONSUMER_GROUP_PREFIX = `${TEST_KAFKA_PREFIX}.`;
  identity.KAFKA_CLIENT_ID_PREFIX = TEST_KAFKA_PREFIX;
  return identity;
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * Creates each test database, owned by the role of its URL and reachable by that role only, as
 * infra/local/postgres/init.sh does for the user's databases (the role too, if it is missing).
 */
export async function prepareDatabases(env: Environment, superuser: pg.ClientConfig): Promise<string[]> {
  const created: string[] = [];
  const admin = new pg.Client({ ...superuser, database: 'postgres' });
  await admin.connect();
  try {
    for (const variable of databaseUrlVariables()) {
      const url = new URL(env[variable]);
      const database = decodeURIComponent(url.pathname.slice(1));
      const role = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      const roles = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (roles.rowCount === 0) {
        await admin.query(`CREATE ROLE ${quoteIdentifier(role)} LOGIN PASSWORD ${quoteLiteral(password)}`);
      }
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${quoteIdentifier(database)} OWNER ${quoteIdentifier(role)}`);
        created.push(database);
      }
      await admin.query(`REVOKE ALL ON DATABASE ${quoteIdentifier(database)} FROM PUBLIC`);
      await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdentifier(database)} TO ${quoteIdentifier(role)}`);
      const inside = new pg.Client({ ...superuser, database });
      await inside.connect();
      try {
        await inside.query(`ALTER SCHEMA public OWNER TO ${quoteIdentifier(role)}`);
        await inside.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
        await inside.query(`GRANT ALL ON SCHEMA public TO ${quoteIdentifier(role)}`);
      } finally {
        await inside.end();
      }
    }
  } finally {
    await admin.end();
  }
  return created;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, ...rest] = process.argv.slice(2);
  const env = parseEnvironment();
  if (command === 'env') {
    for (const [key, value] of Object.entries(testIdentity(env))) console.log(`${key}=${value}`);
  } else if (command === 'prepare') {
    const socketAt = rest.indexOf('--postgres-socket');
    const socket = socketAt >= 0 ? rest[socketAt + 1] : undefined;
    if (!socket) throw new Error('usage: test-estate.ts prepare --postgres-socket <directory of the PostgreSQL unix socket>');
    const started = Date.now();
    // Whatever the caller exported, the databases and namespace made are the test identity's.
    const test = parseEnvironment({ ...process.env, ...testIdentity(env) });
    const port = new URL(test.ORDER_DATABASE_URL).port || '5432';
    const created = await prepareDatabases(test, { host: socket, port: Number(port), user: 'postgres' });
    const namespace = await prepareNamespace(test, test.TEMPORAL_NAMESPACE);
    console.log(
      `[test-estate] databases: ${created.length > 0 ? `created ${created.join(', ')}` : 'all present'}; ` +
        `namespace ${test.TEMPORAL_NAMESPACE}: ${namespace.registered ? 'registered' : 'present'}` +
        `${namespace.added.length > 0 ? `, search attributes added: ${namespace.added.join(', ')}` : ''}; ` +
        `topics ${test.KAFKA_TOPIC_PREFIX}.* (made by setup); done in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
  } else {
    console.error('usage: test-estate.ts env | prepare --postgres-socket <dir>');
    process.exit(2);
  }
}
