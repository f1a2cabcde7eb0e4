/**
 * The one place where configuration is read. Every setting is an environment variable with a
 * documented default that works for the local dev stack (`make up`); a value that does not parse
 * fails at start with a message naming the variable.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const url = z.string().url();
const csv = z
  .string()
  .min(1)
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  );
/** `true`/`false` (also 1/0, yes/no, on/off). */
const flag = z.stringbool();
/** A path to a PEM file (a mounted Secret); empty = not used. Read at connect time (platform/connections.ts). */
const pemFile = z.string().default('');
/** The card vault's development key: FIXED and PUBLIC (it is in this repository), marked by its id. */
const DEV_VAULT_KEY = 'dev-insecure-1:v2HNZGdrT8lPhiDYeipZzj6Td2MX6hrO4mTZQaOrlTc=';

/** Every variable the services read, with its default. The README and deployment files mirror this list. */
export const environmentSchema = z.object({
  DEPLOYMENT_ENVIRONMENT: z.string().default('dev'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),

  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** TLS to the frontend with the system's CAs; implied by any TEMPORAL_TLS_* file or TEMPORAL_API_KEY. */
  TEMPORAL_TLS: flag.default(false),
  /** CA that signed the frontend's certificate (self-hosted); empty = the system's CAs (Temporal Cloud). */
  TEMPORAL_TLS_CA_FILE: pemFile,
  /** Client certificate and key for mTLS (Temporal Cloud mTLS namespaces, or a self-hosted cluster). */
  TEMPORAL_TLS_CERT_FILE: pemFile,
  TEMPORAL_TLS_KEY_FILE: pemFile,
  /** Overrides the TLS server name (SNI) when it differs from TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().default(''),
  /** Temporal Cloud API key (sent as a bearer token, over TLS); empty = none. */
  TEMPORAL_API_KEY: z.string().default(''),

  KAFKA_BROKERS: csv.default(['localhost:9092']),
  KAFKA_CLIENT_ID_PREFIX: z.string().default('ordersaga'),
  /**
   * First part of every topic name (`<prefix>.order.events`, `<prefix>.dead-letter`; see
   * platform/events/naming.ts). `make test` runs its services under `ordersaga-test`, so the suite's
   * events never reach the user's estate.
   */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only (a Kafka topic name)')
    .default('ordersaga'),
  /** Put in front of every consumer group id (`analytics`, `notification`); empty in the user's estate. */
  KAFKA_CONSUMER_GROUP_PREFIX: z.string().default(''),
  /** Replicas of each topic `npm run setup` creates: 1 on the single-node dev broker, 3 on a real cluster. */
  KAFKA_TOPIC_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).default(1),
  /** TLS to the brokers with the system's CAs; implied by KAFKA_TLS_CA_FILE or a client certificate. */
  KAFKA_TLS: flag.default(false),
  /** CA of the brokers' certificates (Strimzi: the `<cluster>-cluster-ca-cert` Secret's ca.crt). */
  KAFKA_TLS_CA_FILE: pemFile,
  /** Client certificate and key for mTLS authentication (Strimzi `tls` KafkaUser: user.crt, user.key). */
  KAFKA_TLS_CERT_FILE: pemFile,
  KAFKA_TLS_KEY_FILE: pemFile,
  /** SASL mechanism; empty = no SASL. Needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. */
  KAFKA_SASL_MECHANISM: z.enum(['', 'plain', 'scram-sha-256', 'scram-sha-512']).default(''),
  KAFKA_SASL_USERNAME: z.string().default(''),
  KAFKA_SASL_PASSWORD: z.string().default(''),

  /**
   * One URL per service database. TLS goes in the URL, as libpq spells it, so migrations get it too:
   * `?sslmode=verify-full&sslrootcert=/path/ca.crt` (and `sslcert`/`sslkey` for client certificates).
   */
  ORDER_DATABASE_URL: url.default('postgres://order_service:order_service@localhost:5432/orders'),
  INVENTORY_DATABASE_URL: url.default('postgres://inventory_service:inventory_service@localhost:5432/inventory'),
  FULFILLMENT_DATABASE_URL: url.default('postgres://fulfillment_service:fulfillment_service@localhost:5432/fulfillment'),
  ANALYTICS_DATABASE_URL: url.default('postgres://analytics_service:analytics_service@localhost:5432/analytics'),
  NOTIFICATION_DATABASE_URL: url.default('postgres://notification_service:notification_service@localhost:5432/notifications'),
  /** payment-sim's ledger (docs/payment-telegram.md#the-ledger). */
  PAYMENT_DATABASE_URL: url.default('postgres://payment_service:payment_service@localhost:5432/payments'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),

  GATEWAY_PORT: port.default(8080),
  ORDER_PORT: port.default(8081),
  INVENTORY_PORT: port.default(8082),
  FULFILLMENT_PORT: port.default(8084),
  ANALYTICS_PORT: port.default(8085),
  NOTIFICATION_PORT: port.default(8086),
  PAYMENT_SIM_HTTP_PORT: port.default(9090),
  PAYMENT_SIM_TCP_PORT: port.default(9091),

  ORDER_URL: url.default('http://localhost:8081'),
  INVENTORY_URL: url.default('http://localhost:8082'),
  FULFILLMENT_URL: url.default('http://localhost:8084'),
  ANALYTICS_URL: url.default('http://localhost:8085'),
  NOTIFICATION_URL: url.default('http://localhost:8086'),
  PAYMENT_HTTP_URL: url.default('http://localhost:9090'),
  PAYMENT_TCP_ADDRESS: z.string().default('localhost:9091'),
  /** payment-sim's card vault (`POST /vault/cards`), where the gateway exchanges a card number for a token (docs/decisions.md). */
  PAYMENT_VAULT_URL: url.default('http://localhost:9090'),
  /**
   * The card vault's AES-256-GCM keys, `keyId:base64(32 bytes)`, comma-separated: the first encrypts
   * new cards, the others only decrypt the cards stored under them (rotation: put the new key first,
   * keep the old one until every card is re-encrypted or gone). The default is a FIXED, PUBLIC
   * development key (its id says so), also when the variable is empty; payment-sim logs a warning
   * when it runs with it. Production sets its own from a secret store.
   */
  PAYMENT_VAULT_SECRET_KEYS: z
    .string()
    .default('')
    .transform((value, context) => {
      const keys = (value.trim() || DEV_VAULT_KEY)
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((entry) => {
          const [id = '', encoded = ''] = entry.split(':');
          return { id, key: Buffer.from(encoded, 'base64') };
        });
      const bad = keys.filter(({ id, key }) => !/^[A-Za-z0-9._-]{1,32}$/.test(id) || key.length !== 32);
      if (keys.length === 0 || bad.length > 0) {
        context.addIssue({
          code: 'custom',
          message: 'must be keyId:base64-of-32-bytes[,keyId:…] (ids of 1–32 letters, digits, . _ -); `openssl rand -base64 32` makes a key',
        });
        return z.NEVER;
      }
      if (new Set(keys.map(({ id }) => id)).size !== keys.length) {
        context.addIssue({ code: 'custom', message: 'key ids must be unique' });
        return z.NEVER;
      }
      return keys;
    }),
  /**
   * payment-sim's ledger journal on local disk (docs/payment-telegram.md#the-ledger): set, the
   * simulator answers once a change is fdatasync'ed there and projects it into PAYMENT_DATABASE_URL
   * behind the answers; the directory must outlive the process (a volume of its own). Empty (the
   * default, and compose and Kubernetes): answers wait for PostgreSQL's group commit, and the
   * simulator needs no disk. `make up` sets it to .state/payment-ledger (infra/local/services.sh).
   */
  PAYMENT_LEDGER_JOURNAL_DIR: z.string().default(''),
  /** Largest number of TCP connections the payment simulator's 전문 server holds at once; one more is closed with a log line. */
  PAYMENT_SIM_TCP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(256),

  /**
   * The gateway's key material for bearer tokens (docs/security.md). Closed by default: the gateway
   * refuses to start unless exactly one of these is set (gateway/identity.ts), never open.
   * GATEWAY_JWT_SECRET: an HS256 secret of at least 32 characters, for local use (`make up` writes
   * one to .state/gateway-secret); GATEWAY_JWKS_URL: the identity provider's JWKS (RS256/ES256), for production.
   */
  GATEWAY_JWT_SECRET: z
    .string()
    .default('')
    .refine(
      (value) => value === '' || value.length >= 32,
      'must be at least 32 characters (256 bits for HS256); `openssl rand -base64 32` makes one',
    ),
  GATEWAY_JWKS_URL: z.union([z.literal(''), url]).default(''),
  /** The `iss` and `aud` every token must carry. */
  GATEWAY_JWT_ISSUER: z.string().min(1).default('ordersaga-local'),
  GATEWAY_JWT_AUDIENCE: z.string().min(1).default('ordersaga-gateway'),
  /** Browser origins allowed to call the gateway cross-origin (comma-separated); empty = none. */
  GATEWAY_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  /** Requests per second one client address may make (bursts up to twice that); 0 = no limit. */
  GATEWAY_RATE_LIMIT_PER_ADDRESS: z.coerce.number().min(0).default(300),
  /** Requests per second one token subject (customer or admin) may make (bursts up to twice that); 0 = no limit. */
  GATEWAY_RATE_LIMIT_PER_TOKEN: z.coerce.number().min(0).default(30),
  /**
   * Take the client address from the last X-Forwarded-For entry (the one our own proxy or ingress
   * appended) instead of the socket. Only behind a proxy that sets it; otherwise a client picks its own address.
   */
  GATEWAY_TRUST_FORWARDED_FOR: flag.default(false),
  /**
   * `POST /dev/login` mints a token for any demo customer or admin, for the web console (docs/security.md,
   * "Dev login"). Off by default; `make up` turns it on. The gateway refuses to start with it on
   * unless it verifies local HS256 tokens (GATEWAY_JWT_SECRET) outside production
   * (DEPLOYMENT_ENVIRONMENT not `prod`/`production`): an identity provider's estate never has it.
   */
  GATEWAY_DEV_LOGIN: flag.default(false),
  /** The built web console the gateway serves at `/` (console/, `npm run console:build`); empty = console/dist in this checkout. */
  GATEWAY_CONSOLE_DIR: z.string().default(''),
  /** The Temporal Web UI, for the console's link to an order's workflow. */
  TEMPORAL_UI_URL: url.default('http://localhost:8233'),
  /**
   * A trace viewer's URL with `{traceId}` where the trace id goes (Jaeger: `http://localhost:16686/trace/{traceId}`,
   * or an Instana analyze URL); empty = the console shows the trace id without a link.
   */
  TRACE_UI_URL: z
    .string()
    .default('')
    .refine(
      (value) => value === '' || (/^https?:\/\//.test(value) && value.includes('{traceId}')),
      'must be an http(s) URL containing {traceId}',
    ),
  /** Largest request body the gateway accepts, in bytes. */
  GATEWAY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  /** Timeout for one HTTP call from an activity or the gateway to another service. */
  HTTP_CLIENT_TIMEOUT_MS: z.coerce.number().int().min(50).default(5000),

  /**
   * Consumers (docs/dead-letters.md): attempts at a record the database refuses (a data or integrity
   * error) or that fails in an unexpected way, before it goes to the dead-letter topic. Records that
   * are not valid events go at once; while the database is unreachable a record is retried without limit.
   */
  CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** Wait before a consumer's second attempt at a record; it doubles per attempt, with jitter. */
  CONSUMER_RETRY_INITIAL_MS: z.coerce.number().int().min(1).default(200),
  /** The longest wait between two attempts (the partition stays paused meanwhile; the others go on). */
  CONSUMER_RETRY_MAX_MS: z.coerce.number().int().min(1).default(10_000),
  /**
   * How much a consumer's fetch waits for (docs/benchmarks.md, "Cost per order"): the broker answers
   * once this many bytes are there or CONSUMER_FETCH_MAX_WAIT_MS has passed. 1 answers on the first
   * record; more batches records into fewer fetches, each consumer then lagging up to the wait.
   */
  CONSUMER_FETCH_MIN_BYTES: z.coerce.number().int().min(1).default(65_536),
  /** The longest a fetch waits; also how soon a partition resumed after a retry joins a fetch. */
  CONSUMER_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(10).max(30_000).default(1000),
  /** How often a consumer commits the offsets of the records it is done with (the inbox skips redeliveries). */
  CONSUMER_COMMIT_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),

  /**
   * Notification delivery (docs/decisions.md, "Notification delivery"). E-mail goes over SMTP: in the
   * dev stack to Mailpit (SMTP 1025, its UI on 8025), in production to the relay these name.
   */
  SMTP_HOST: z.string().min(1).default('localhost'),
  SMTP_PORT: port.default(1025),
  /** Implicit TLS from the first byte (port 465); otherwise STARTTLS is used when the relay offers it. */
  SMTP_SECURE: flag.default(false),
  /** Refuse to send unless the connection is encrypted (STARTTLS or SMTP_SECURE); a real relay wants true. */
  SMTP_REQUIRE_TLS: flag.default(false),
  /** The relay's credentials; empty = no authentication (Mailpit). */
  SMTP_USER: z.string().default(''),
  SMTP_PASSWORD: z.string().default(''),
  /** The name the dependency map gives the SMTP relay (the exit span's `peer.service`). */
  SMTP_PEER_SERVICE: z.string().min(1).default('mailpit'),
  NOTIFICATION_EMAIL_FROM: z.string().min(3).default('ordersaga <no-reply@ordersaga.dev>'),
  /**
   * The HTTP providers of SMS and push: `POST` of a JSON message (Mailpit's send API shape, so the
   * dev stack's Mailpit shows them beside the e-mails; a real provider needs its adapter in
   * consumers/notification/providers.ts).
   */
  NOTIFICATION_SMS_URL: url.default('http://localhost:8025/api/v1/send'),
  NOTIFICATION_SMS_PEER_SERVICE: z.string().min(1).default('sms-provider'),
  NOTIFICATION_PUSH_URL: url.default('http://localhost:8025/api/v1/send'),
  NOTIFICATION_PUSH_PEER_SERVICE: z.string().min(1).default('push-provider'),
  /** Attempts at one notification before it is marked failed (with backoff capped at 5 min, about 40 min of outage). */
  NOTIFICATION_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(15),
  /** Wait before the second attempt; it doubles per attempt (with up to 10 % jitter) up to the maximum. */
  NOTIFICATION_DELIVERY_BACKOFF_INITIAL_MS: z.coerce.number().int().min(1).default(1000),
  NOTIFICATION_DELIVERY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(300_000),
  /** How often the delivery loop looks for due notifications (a newly recorded one wakes it at once). */
  NOTIFICATION_DELIVERY_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
  /** Notifications claimed and sent at once by one loop. */
  NOTIFICATION_DELIVERY_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  /** How long one send may take; a claim lasts three times this, so a sender that died is taken over after it. */
  NOTIFICATION_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),

  /**
   * How long a service's stop sequence may take (worker drain, connections closed, telemetry
   * flushed) before the process exits anyway; below Kubernetes' 30 s grace period.
   */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(25_000),
  /** How long one readiness check (`GET /health/ready`: a database round trip, Temporal's health) may take. */
  READINESS_CHECK_TIMEOUT_MS: z.coerce.number().int().min(50).default(1500),
  /**
   * How long `POST /orders` waits for Temporal to start the saga. When it does not answer in time the
   * order stays accepted (its start is in the outbox) and the sweeper starts the saga later; below
   * HTTP_CLIENT_TIMEOUT_MS, so the gateway hears the answer. See docs/saga.md, "Accepting an order".
   */
  ORDER_WORKFLOW_START_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
  /** How often the order service looks for accepted orders whose saga did not start. */
  ORDER_SAGA_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** How old an unstarted saga start must be before the sweeper takes it over from the request that made it. */
  ORDER_SAGA_SWEEP_AFTER_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * The simulated carrier's clock (ShipmentWorkflow, docs/saga.md#a-shipments-life): how long a
   * SCHEDULED shipment waits to be picked up (then SHIPPED), and how long it travels (then DELIVERED).
   * The defaults are demo speed, so a shipment is delivered within a minute; a production-like
   * estate sets days (86400000 and 172800000). Durable timers: a worker restart changes nothing.
   */
  CARRIER_PICKUP_AFTER_MS: z.coerce.number().int().min(0).default(5000),
  CARRIER_TRANSIT_MS: z.coerce.number().int().min(0).default(10_000),
});

export type Environment = z.infer<typeof environmentSchema>;

export class ConfigurationError extends Error {
  constructor(
    readonly variables: string[],
    message: string,
  ) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

const SECRET_VARIABLE = /SECRET|PASSWORD|API_KEY/;

/** Parses an environment (default: `process.env`), naming each variable that is wrong. */
export function parseEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const result = environmentSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0]);
    // A secret's value never reaches a log line, only its length.
    const got = SECRET_VARIABLE.test(variable)
      ? `${String(source[variable] ?? '').length} characters, not shown`
      : JSON.stringify(source[variable]);
    return { variable, text: `${variable}: ${issue.message} (got ${got})` };
  });
  throw new ConfigurationError(
    problems.map((problem) => problem.variable),
    `invalid configuration:\n  ${problems.map((problem) => problem.text).join('\n  ')}`,
  );
}

let cached: Environment | undefined;

/** The process's configuration, parsed once. */
export function config(): Environment {
  cached ??= parseEnvironment();
  return cached;
}
