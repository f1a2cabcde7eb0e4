/**
 * How a service reaches the clusters it does not run: Temporal (address, namespace, TLS or mTLS, an
 * API key for Temporal Cloud), Kafka (brokers, TLS, SASL) and PostgreSQL (TLS in the URL). Each
 * builder turns the environment into client options; a wrong setting fails at start with a
 * ConfigurationError naming the variable, instead of a TLS or gRPC error deep in a client library.
 *
 * Certificates and keys are files (a mounted Kubernetes Secret, a compose bind mount), never inline
 * PEM in a variable: rotation then means replacing a file, and no secret ends up in `env` output.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { TLSConfig } from '@temporalio/client';
import type { SASLOptions } from 'kafkajs';
import { ConfigurationError, type Environment } from './config.js';

/** `host:port`, where host is a DNS name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

function isHostPort(value: string): boolean {
  const port = HOST_PORT.exec(value)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}

function fail(variables: string[], text: string): never {
  throw new ConfigurationError(variables, `invalid configuration:\n  ${text}`);
}

/** Reads a certificate or key file named by a variable; a missing or unreadable file names the variable. */
export function readConfiguredFile(variable: string, path: string, what = ''): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return fail([variable], `${variable}: cannot read ${what ? `${what} ` : ''}${JSON.stringify(path)} (${reason})`);
  }
}

/** A client certificate needs its key and the other way round; returns the pair, or undefined when neither is set. */
function clientCertificatePair(
  certVariable: string,
  certPath: string,
  keyVariable: string,
  keyPath: string,
): { cert: Buffer; key: Buffer } | undefined {
  if (!certPath && !keyPath) return undefined;
  if (!certPath || !keyPath) {
    const missing = certPath ? keyVariable : certVariable;
    fail(
      [missing],
      `${missing}: must be set together with ${certPath ? certVariable : keyVariable} (a client certificate needs its private key)`,
    );
  }
  return { cert: readConfiguredFile(certVariable, certPath), key: readConfiguredFile(keyVariable, keyPath) };
}

export interface TemporalConnectionSettings {
  address: string;
  /** Undefined: plaintext (the dev server). */
  tls?: TLSConfig;
  /** Temporal Cloud API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  metadata?: Record<string, string>;
}

/**
 * Options for `Connection.connect` (clients) and `NativeConnection.connect` (workers). TLS is on
 * when TEMPORAL_TLS is true or implied by a CA, a client certificate (mTLS) or an API key.
 */
export function temporalConnectionSettings(env: Environment): TemporalConnectionSettings {
  const address = env.TEMPORAL_ADDRESS;
  if (!isHostPort(address)) {
    fail(
      ['TEMPORAL_ADDRESS'],
      `TEMPORAL_ADDRESS: expected host:port, e.g. temporal-frontend.temporal:7233 or <namespace>.<account>.tmprl.cloud:7233 (got ${JSON.stringify(address)})`,
    );
  }
  const pair = clientCertificatePair(
    'TEMPORAL_TLS_CERT_FILE',
    env.TEMPORAL_TLS_CERT_FILE,
    'TEMPORAL_TLS_KEY_FILE',
    env.TEMPORAL_TLS_KEY_FILE,
  );
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const tlsWanted = env.TEMPORAL_TLS || Boolean(env.TEMPORAL_TLS_CA_FILE || env.TEMPORAL_TLS_SERVER_NAME || pair || apiKey);
  if (!tlsWanted) return { address };
  const tls: TLSConfig = {};
  if (env.TEMPORAL_TLS_CA_FILE) tls.serverRootCACertificate = readConfiguredFile('TEMPORAL_TLS_CA_FILE', env.TEMPORAL_TLS_CA_FILE);
  if (env.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME;
  if (pair) tls.clientCertPair = { crt: pair.cert, key: pair.key };
  // Temporal Cloud routes API-key calls by this header when the address is a regional endpoint.
  return apiKey ? { address, tls, apiKey, metadata: { 'temporal-namespace': env.TEMPORAL_NAMESPACE } } : { address, tls };
}

/** A connection to Temporal failed: say which cluster, and which variables decide it. */
export function temporalUnreachable(env: Environment, error: unknown): Error {
  const settings = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TLS*', 'TEMPORAL_API_KEY'].join(', ');
  return new Error(
    `cannot connect to Temporal at ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE}; check ${settings}): ${(error as Error).message}`,
    { cause: error },
  );
}

export interface KafkaConnectionSettings {
  brokers: string[];
  ssl?: TlsConnectionOptions | boolean;
  sasl?: SASLOptions;
}

/**
 * Broker list, TLS and SASL for kafkajs. TLS is on when KAFKA_TLS is true or implied by a CA or a
 * client certificate (Strimzi `tls` users); SASL (PLAIN or SCRAM, e.g. Strimzi `scram-sha-512`
 * users) needs a username and a password.
 */
export function kafkaConnectionSettings(env: Environment): KafkaConnectionSettings {
  const wrongBroker = env.KAFKA_BROKERS.find((broker) => !isHostPort(broker));
  if (env.KAFKA_BROKERS.length === 0 || wrongBroker !== undefined) {
    fail(
      ['KAFKA_BROKERS'],
      `KAFKA_BROKERS: expected a comma-separated list of host:port, e.g. ordersaga-kafka-bootstrap.kafka:9093 (got ${JSON.stringify(wrongBroker ?? '')})`,
    );
  }
  const settings: KafkaConnectionSettings = { brokers: env.KAFKA_BROKERS };

  const pair = clientCertificatePair('KAFKA_TLS_CERT_FILE', env.KAFKA_TLS_CERT_FILE, 'KAFKA_TLS_KEY_FILE', env.KAFKA_TLS_KEY_FILE);
  if (env.KAFKA_TLS || env.KAFKA_TLS_CA_FILE || pair) {
    const ssl: TlsConnectionOptions = {};
    if (env.KAFKA_TLS_CA_FILE) ssl.ca = [readConfiguredFile('KAFKA_TLS_CA_FILE', env.KAFKA_TLS_CA_FILE)];
    if (pair) Object.assign(ssl, pair);
    settings.ssl = Object.keys(ssl).length > 0 ? ssl : true;
  }

  const mechanism = env.KAFKA_SASL_MECHANISM;
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  if (mechanism === '') {
    const stray = username ? 'KAFKA_SASL_USERNAME' : password ? 'KAFKA_SASL_PASSWORD' : undefined;
    if (stray)
      fail(
        [stray, 'KAFKA_SASL_MECHANISM'],
        `${stray}: is set but KAFKA_SASL_MECHANISM is empty (set it to plain, scram-sha-256 or scram-sha-512)`,
      );
    return settings;
  }
  if (!username || !password) {
    const missing = username ? 'KAFKA_SASL_PASSWORD' : 'KAFKA_SASL_USERNAME';
    fail([missing], `${missing}: is required when KAFKA_SASL_MECHANISM is ${mechanism}`);
  }
  settings.sasl = { mechanism, username, password };
  return settings;
}

/** libpq's `sslmode` values that node-postgres understands, plus its own `no-verify`. */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;
const SSL_FILE_PARAMETERS = ['sslrootcert', 'sslcert', 'sslkey'] as const;

/**
 * Checks the TLS part of a PostgreSQL URL (the `sslmode`, `sslrootcert`, `sslcert` and `sslkey` query
 * parameters, which node-postgres reads itself, so a migration run with the same URL gets the same
 * TLS). TLS lives in the URL rather than in separate variables for exactly that reason.
 */
export function checkDatabaseUrl(variable: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail([variable], `${variable}: not a URL`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    fail([variable], `${variable}: expected a postgres:// URL (got ${parsed.protocol}//…)`);
  }
  const mode = parsed.searchParams.get('sslmode');
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) {
    fail([variable], `${variable}: sslmode=${mode} is not one of ${SSL_MODES.join(', ')}`);
  }
  const sslcert = parsed.searchParams.get('sslcert');
  const sslkey = parsed.searchParams.get('sslkey');
  if (Boolean(sslcert) !== Boolean(sslkey)) fail([variable], `${variable}: sslcert and sslkey must be given together`);
  for (const parameter of SSL_FILE_PARAMETERS) {
    const path = parsed.searchParams.get(parameter);
    if (path) readConfiguredFile(variable, path, parameter);
  }
}

/** The `*_DATABASE_URL` variable that holds `url`, for messages; falls back to a generic name. */
export function databaseUrlVariable(env: Environment, url: string): string {
  const match = Object.entries(env).find(([key, value]) => key.endsWith('_DATABASE_URL') && value === url);
  return match?.[0] ?? 'database URL';
}
