/**
 * The estate's services and databases are listed once (infra/estate.json). Code reads the list;
 * what must spell it (the PostgreSQL init that runs inside the database's container, the
 * configuration's defaults) is checked against it here, and nothing else may spell it again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { estate, localDatabaseUrl, repositoryRoot, serviceNames } from '../../infra/estate.js';
import { environmentSchema, parseEnvironment } from '../../platform/config.js';

const read = (path: string) => readFileSync(join(repositoryRoot, path), 'utf8');

/** The files git tracks (and the untracked ones it does not ignore), as the repository has them now. */
function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: repositoryRoot, encoding: 'utf8' })
    .split('\n')
    .filter((path) => path !== '' && existsSync(join(repositoryRoot, path)));
}

test('each database belongs to a listed service, has its migrations, and a role of its own', (t) => {
  const names = new Set(serviceNames);
  t.is(names.size, estate.services.length, 'service names are unique');
  t.is(new Set(estate.services.flatMap((service) => [service.httpPort, ...(service.otherPorts ?? [])])).size, 8, 'no two ports alike');
  for (const database of estate.databases) {
    t.true(names.has(database.service), `${database.name}: owner ${database.service} is a listed service`);
    t.true(existsSync(join(repositoryRoot, database.migrations)), `${database.name}: ${database.migrations}`);
    t.true(existsSync(join(repositoryRoot, estate.services.find((service) => service.name === database.service)!.entry)));
  }
  t.is(new Set(estate.databases.map((database) => database.role)).size, estate.databases.length, 'one role per database');
});

test('the configuration has a URL variable for each database, whose default is the dev stack’s', (t) => {
  const variables = Object.keys(environmentSchema.shape).filter((name) => name.endsWith('_DATABASE_URL'));
  t.deepEqual(variables.sort(), estate.databases.map((database) => database.urlVariable).sort());
  const defaults = parseEnvironment({}) as unknown as Record<string, string>;
  for (const database of estate.databases) t.is(defaults[database.urlVariable], localDatabaseUrl(database), database.urlVariable);
});

test('the containers’ PostgreSQL init creates exactly the listed databases and roles', (t) => {
  const script = read('infra/deploy/postgres/init-databases.sh');
  const block = /^DATABASES=\(([\s\S]*?)\n\)/m.exec(script)?.[1] ?? '';
  const pairs = [...block.matchAll(/"(\w+):(\w+)"/g)].map((match) => `${match[1]}:${match[2]}`);
  t.deepEqual(
    pairs,
    estate.databases.map((database) => `${database.name}:${database.role}`),
  );
});

test('no other file spells the list of databases or of services', (t) => {
  const serviceList = new RegExp(
    `(['"])(${serviceNames.join('|')})\\1(\\s*,\\s*(['"])(${serviceNames.join('|')})\\4){4,}|(\\b(${serviceNames.join('|')})\\b ){5,}`,
  );
  const pairs = estate.databases.map((database) => `${database.name}:${database.role}`);
  const offenders = trackedFiles()
    .filter((path) => /\.(ts|mts|mjs|sh|ya?ml)$/.test(path) && !path.startsWith('test/histories/'))
    .filter((path) => path !== 'infra/deploy/postgres/init-databases.sh')
    .flatMap((path) => {
      const text = read(path);
      const found: string[] = [];
      if (pairs.filter((pair) => text.includes(pair)).length >= 2) found.push(`${path}: database:role pairs`);
      if (serviceList.test(text)) found.push(`${path}: a list of service names`);
      return found;
    });
  t.deepEqual(offenders, []);
});
