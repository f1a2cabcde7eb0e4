/**
 * platform/connections.ts: how the environment becomes Temporal, Kafka and PostgreSQL client
 * options for clusters outside the dev stack (TLS, mTLS, API keys, SASL), and how a wrong setting
 * is reported: a ConfigurationError naming the variable.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, parseEnvironment } from '../../platform/config.js';
import { checkDatabaseUrl, databaseUrlVariable, kafkaConnectionSettings, temporalConnectionSettings } from '../../platform/connections.js';

const directory = mkdtempSync(join(tmpdir(), 'ordersaga-tls-'));
const file = (name: string, content: string) => {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
};
const ca = file('ca.crt', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
const cert = file('client.crt', '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');
const missing = join(directory, 'missing.pem');

const env = (variables: Record<string, string>) => parseEnvironment(variables);

/** The error a call throws must be a ConfigurationError naming `variable`, in its list and its message. */
function failsNaming(t: import('ava').ExecutionContext, call: () => unknown, variable: string): void {
  const error = t.throws(call, { instanceOf: ConfigurationError });
  t.true(error?.variables.includes(variable), `${variable} in ${JSON.stringify(error?.variables)}`);
  t.true(error?.message.includes(`${variable}:`), error?.message);
}

test('Temporal: plaintext to the dev server by default', (t) => {
  t.deepEqual(temporalConnectionSettings(env({})), { address: 'localhost:7233' });
});

test('Temporal Cloud with an API key: TLS with the system CAs, the key, and the namespace header', (t) => {
  const settings = temporalConnectionSettings(
    env({ TEMPORAL_ADDRESS: 'ordersaga.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ordersaga.a1b2c', TEMPORAL_API_KEY: 'secret-key' }),
  );
  t.deepEqual(settings, {
    address: 'ordersaga.a1b2c.tmprl.cloud:7233',
    tls: {},
    apiKey: 'secret-key',
    metadata: { 'temporal-namespace': 'ordersaga.a1b2c' },
  });
});

test('Temporal with mTLS: CA, client certificate pair and server name from files', (t) => {
  const settings = temporalConnectionSettings(
    env({
      TEMPORAL_ADDRESS: 'temporal-frontend.temporal.svc:7233',
      TEMPORAL_TLS_CA_FILE: ca,
      TEMPORAL_TLS_CERT_FILE: cert,
      TEMPORAL_TLS_KEY_FILE: key,
      TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal.example',
    }),
  );
  t.is(settings.apiKey, undefined);
  t.is(settings.tls?.serverNameOverride, 'frontend.temporal.example');
  t.is(Buffer.from(settings.tls!.serverRootCACertificate!).toString(), '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
  t.is(Buffer.from(settings.tls!.clientCertPair!.crt).toString(), '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
  t.is(Buffer.from(settings.tls!.clientCertPair!.key).toString(), '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');
  t.deepEqual(temporalConnectionSettings(env({ TEMPORAL_TLS: 'true' })).tls, {});
});

test('Temporal: a wrong setting fails naming its variable', (t) => {
  failsNaming(t, () => temporalConnectionSettings(env({ TEMPORAL_ADDRESS: 'http://temporal:7233' })), 'TEMPORAL_ADDRESS');
  failsNaming(t, () => temporalConnectionSettings(env({ TEMPORAL_ADDRESS: 'temporal:99999' })), 'TEMPORAL_ADDRESS');
  failsNaming(t, () => temporalConnectionSettings(env({ TEMPORAL_TLS_CERT_FILE: cert })), 'TEMPORAL_TLS_KEY_FILE');
  failsNaming(t, () => temporalConnectionSettings(env({ TEMPORAL_TLS_KEY_FILE: key })), 'TEMPORAL_TLS_CERT_FILE');
  failsNaming(t, () => temporalConnectionSettings(env({ TEMPORAL_TLS_CA_FILE: missing })), 'TEMPORAL_TLS_CA_FILE');
  failsNaming(t, () => env({ TEMPORAL_TLS: 'maybe' }), 'TEMPORAL_TLS');
  t.deepEqual(temporalConnectionSettings(env({ TEMPORAL_ADDRESS: '[::1]:7233' })), { address: '[::1]:7233' });
});

test('Kafka: brokers only by default; TLS on request or implied by a CA or a client certificate', (t) => {
  t.deepEqual(kafkaConnectionSettings(env({})), { brokers: ['localhost:9092'] });
  t.deepEqual(kafkaConnectionSettings(env({ KAFKA_TLS: 'true', KAFKA_BROKERS: 'b1:9093, b2:9093' })), {
    brokers: ['b1:9093', 'b2:9093'],
    ssl: true,
  });
  const withCa = kafkaConnectionSettings(env({ KAFKA_TLS_CA_FILE: ca }));
  t.true(typeof withCa.ssl === 'object' && Array.isArray(withCa.ssl.ca));
  const mutual = kafkaConnectionSettings(env({ KAFKA_TLS_CERT_FILE: cert, KAFKA_TLS_KEY_FILE: key }));
  t.true(typeof mutual.ssl === 'object' && Buffer.isBuffer(mutual.ssl.cert) && Buffer.isBuffer(mutual.ssl.key));
});

test('Kafka: SASL PLAIN or SCRAM with a username and a password', (t) => {
  const settings = kafkaConnectionSettings(
    env({ KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'ordersaga', KAFKA_SASL_PASSWORD: 'pw' }),
  );
  t.deepEqual(settings.sasl, { mechanism: 'scram-sha-512', username: 'ordersaga', password: 'pw' });
  t.is(settings.ssl, true);
});

test('Kafka: a wrong setting fails naming its variable', (t) => {
  failsNaming(t, () => kafkaConnectionSettings(env({ KAFKA_BROKERS: 'kafka' })), 'KAFKA_BROKERS');
  failsNaming(t, () => kafkaConnectionSettings(env({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })), 'KAFKA_SASL_PASSWORD');
  failsNaming(t, () => kafkaConnectionSettings(env({ KAFKA_SASL_MECHANISM: 'scram-sha-256' })), 'KAFKA_SASL_USERNAME');
  failsNaming(t, () => kafkaConnectionSettings(env({ KAFKA_SASL_USERNAME: 'u' })), 'KAFKA_SASL_USERNAME');
  failsNaming(t, () => kafkaConnectionSettings(env({ KAFKA_TLS_CERT_FILE: cert })), 'KAFKA_TLS_KEY_FILE');
  failsNaming(t, () => kafkaConnectionSettings(env({ KAFKA_TLS_CA_FILE: missing })), 'KAFKA_TLS_CA_FILE');
  failsNaming(t, () => env({ KAFKA_SASL_MECHANISM: 'gssapi' }), 'KAFKA_SASL_MECHANISM');
  failsNaming(t, () => env({ KAFKA_TLS: 'yes please' }), 'KAFKA_TLS');
});

test('PostgreSQL: TLS in the URL is checked, naming the variable', (t) => {
  const base = 'postgres://order_service:pw@db.example.net:5432/orders';
  t.notThrows(() => checkDatabaseUrl('ORDER_DATABASE_URL', base));
  t.notThrows(() => checkDatabaseUrl('ORDER_DATABASE_URL', `${base}?sslmode=verify-full&sslrootcert=${ca}`));
  t.notThrows(() => checkDatabaseUrl('ORDER_DATABASE_URL', `${base}?sslmode=require&sslcert=${cert}&sslkey=${key}`));
  failsNaming(t, () => checkDatabaseUrl('ORDER_DATABASE_URL', `${base}?sslmode=verify-fool`), 'ORDER_DATABASE_URL');
  failsNaming(t, () => checkDatabaseUrl('ORDER_DATABASE_URL', `${base}?sslmode=verify-full&sslrootcert=${missing}`), 'ORDER_DATABASE_URL');
  failsNaming(t, () => checkDatabaseUrl('ORDER_DATABASE_URL', `${base}?sslcert=${cert}`), 'ORDER_DATABASE_URL');
  failsNaming(t, () => checkDatabaseUrl('ORDER_DATABASE_URL', 'mysql://db/orders'), 'ORDER_DATABASE_URL');
});

test('PostgreSQL: the variable holding a URL is found for messages', (t) => {
  const environment = env({ INVENTORY_DATABASE_URL: 'postgres://i:i@db:5432/inventory?sslmode=disable' });
  t.is(databaseUrlVariable(environment, 'postgres://i:i@db:5432/inventory?sslmode=disable'), 'INVENTORY_DATABASE_URL');
  t.is(databaseUrlVariable(environment, 'postgres://elsewhere/db'), 'database URL');
});
