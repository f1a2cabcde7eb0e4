/**
 * Notification delivery (consumers/notification/delivery.ts) against real SMTP: an in-process SMTP
 * server (the `smtp-server` package: the real protocol, nodemailer talks to it as to Mailpit or a
 * relay) and an HTTP provider for SMS and push, over the outbox rows in a notifications schema of
 * the test's own (migrated like the estate's, dropped after), so the estate never sees them.
 *
 * The first test delivers to the dev stack's Mailpit (the configured SMTP_HOST/PORT and SMS URL;
 * `make test` starts it) and reads the messages back through its API; it fails when Mailpit is not
 * there. The others use the in-process server, which can refuse, stop and start on demand.
 *
 * What it shows: a recorded notification is sent once with its subject, text and HTML parts; a
 * provider that is down delays messages and loses none (pending, retried with backoff, delivered
 * once when it is back); a refusal for good fails at once; attempts run out into `failed`; two loops
 * never send one row twice; `notification.sent` counts sends (not recordings), failures are counted,
 * and each send is a CLIENT span naming its provider.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics as metricsApi, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import test from 'ava';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { type DeliverySettings, NotificationDelivery } from '../../consumers/notification/delivery.js';
import { configuredProviders, httpProvider, type Providers, smtpProvider } from '../../consumers/notification/providers.js';
import { recordNotification } from '../../consumers/notification/store.js';
import { migrateService } from '../../infra/programs/setup/service-databases.js';
import { config, parseEnvironment } from '../../platform/config.js';
import { buildEvent } from '../../platform/events/envelope.js';
import { metricNames } from '../../platform/telemetry/metrics.js';
import { eventually } from '../support/estate.js';
import { sampleEventData, uniqueCustomerId } from '../support/fixtures.js';
import { mailpitVersion, message, messagesTo, waitForMessage } from '../support/mailpit.js';

// ---- telemetry: spans and metrics in memory ------------------------------------------------------
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
trace.setGlobalTracerProvider(tracerProvider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const metricReader = new (class extends MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
})();
metricsApi.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));

async function counterValue(name: string, match: Record<string, string>): Promise<number> {
  const { resourceMetrics } = await metricReader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
  let total = 0;
  for (const point of metric?.dataPoints ?? []) {
    if (Object.entries(match).every(([key, value]) => point.attributes[key] === value)) total += point.value as number;
  }
  return total;
}

// ---- a notifications schema of our own ----------------------------------------------------------
const schema = `test_notifications_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let db: pg.Pool;

test.before(async () => {
  const base = config().NOTIFICATION_DATABASE_URL;
  await migrateService('notification', base, schema);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  db = new pg.Pool({ connectionString: url.toString(), max: 6 });
});

test.after.always(async () => {
  await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await db?.end();
});

// ---- an SMTP server that can be stopped and started on its port ----------------------------------
interface ReceivedMail {
  notificationId: string;
  to: string[];
  raw: string;
}

class SmtpSink {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  constructor(private readonly refuseRecipients = false) {}

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (this.refuseRecipients) return callback(Object.assign(new Error(`no such mailbox ${address.address}`), { responseCode: 550 }));
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const notificationId = /^X-Notification-Id: (\S+)/im.exec(raw)?.[1] ?? '';
          this.received.push({ notificationId, to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  count(notificationId: string): number {
    return this.received.filter((mail) => mail.notificationId === notificationId).length;
  }
}

/** A port nothing listens on: bound once, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- wiring -------------------------------------------------------------------------------------
const fast: DeliverySettings = {
  maxAttempts: 10,
  backoffInitialMs: 50,
  backoffMaxMs: 200,
  pollIntervalMs: 25,
  batchSize: 20,
  timeoutMs: 2000,
};

function providersFor(smtpPort: number, httpUrl = 'http://127.0.0.1:9/unused'): Providers {
  const settings = parseEnvironment({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), SMTP_PEER_SERVICE: 'test-smtp' });
  return {
    email: smtpProvider(settings, fast.timeoutMs),
    sms: httpProvider('sms', httpUrl, 'test-sms-provider'),
    push: httpProvider('push', httpUrl, 'test-push-provider'),
  };
}

/** Records the completion notification of a fresh order for a fresh customer; returns its id. */
async function recordCompletion(
  preference: { channel: 'email' | 'sms' | 'push'; locale: 'ko' | 'en'; recipient?: string } = { channel: 'email', locale: 'en' },
): Promise<string> {
  const customerId = uniqueCustomerId('delivery');
  const orderId = randomUUID();
  const recipient =
    preference.recipient ??
    (preference.channel === 'email'
      ? `${customerId}@example.com`
      : preference.channel === 'sms'
        ? '+82-10-0000-0000'
        : `device-${customerId}`);
  await db.query(`INSERT INTO customer_preferences (customer_id, channel, locale, recipient) VALUES ($1, $2, $3, $4)`, [
    customerId,
    preference.channel,
    preference.locale,
    recipient,
  ]);
  const event = buildEvent({
    type: 'order.v1.completed',
    source: 'test',
    data: sampleEventData(orderId, customerId)['order.v1.completed'],
  });
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const recorded = await recordNotification(event, client);
    await client.query('COMMIT');
    if (!recorded) throw new Error('nothing recorded');
  } finally {
    client.release();
  }
  return event.id;
}

interface Row {
  delivery_state: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  provider_message_id: string | null;
}

async function row(notificationId: string): Promise<Row> {
  const { rows } = await db.query<Row>(
    `SELECT delivery_state, attempts, last_error, next_attempt_at, provider_message_id FROM notifications WHERE notification_id = $1`,
    [notificationId],
  );
  return rows[0]!;
}

/** Runs `body` with a delivery loop running, stopped after even when `body` throws. */
async function withLoop<T>(delivery: NotificationDelivery, body: () => Promise<T>): Promise<T> {
  const stop = delivery.start(db);
  try {
    return await body();
  } finally {
    await stop();
  }
}

// Tests share the schema: each one's rows are claimed by whichever loop runs, so they run one at a time.
test.serial('delivered to Mailpit: the e-mails are readable through its API in the customer’s language, the SMS beside them', async (t) => {
  t.truthy(await mailpitVersion(), 'Mailpit answers (make test starts it)');
  const run = randomUUID().slice(0, 8);
  const koAddress = `delivery-ko-${run}@example.kr`;
  const enAddress = `delivery-en-${run}@example.com`;
  const phone = `+82-10-${run.slice(0, 4)}-0000`.replace(/[a-f]/g, '9');
  const ko = await recordCompletion({ channel: 'email', locale: 'ko', recipient: koAddress });
  const en = await recordCompletion({ channel: 'email', locale: 'en', recipient: enAddress });
  const sms = await recordCompletion({ channel: 'sms', locale: 'ko', recipient: phone });
  const delivery = new NotificationDelivery(fast, configuredProviders(config()));
  await withLoop(delivery, () =>
    eventually(
      'all three sent',
      async () => ((await Promise.all([ko, en, sms].map(row))).every((r) => r.delivery_state === 'sent') ? true : undefined),
      15_000,
    ),
  );

  const korean = await waitForMessage(koAddress, '[ordersaga] 주문 완료');
  t.regex(korean.Text, /^안녕하세요, 고객님\.\s+주문 [0-9A-F]{8}이\(가\) 완료되었습니다/);
  t.true(korean.HTML.includes('<html lang="ko">'));
  t.is(korean.MessageID, `${ko}@ordersaga.dev`);
  const english = await waitForMessage(enAddress, '[ordersaga] Order complete');
  t.regex(english.Text, /^Hello,\s+Order [0-9A-F]{8} is complete/);
  t.true(english.HTML.includes('<html lang="en">'));
  const smsAddress = `${phone.replace('+', '')}@sms.ordersaga.dev`;
  const texts = await eventually('the SMS in Mailpit', async () => {
    const found = await messagesTo(smsAddress);
    return found.length > 0 ? found : undefined;
  });
  t.is(texts.length, 1, 'the SMS, once');
  const smsMessage = await message(texts[0]!.ID);
  t.regex(smsMessage.Text, /^\[ordersaga\] 주문 완료: 주문 [0-9A-F]{8}/);
  t.true(smsMessage.Tags.includes('sms'));
});

test.serial('a recorded e-mail is sent once, with subject, text and HTML parts, and counted as sent only then', async (t) => {
  const sink = new SmtpSink();
  await sink.start();
  try {
    const before = await counterValue(metricNames.notificationSent, { channel: 'email' });
    // recorded under a consumer's span, as the notification service records it
    const [id, consumerSpan] = await trace.getTracer('test').startActiveSpan('process ordersaga.order.events', async (span) => {
      const recorded = await recordCompletion({ channel: 'email', locale: 'ko' });
      span.end();
      return [recorded, span.spanContext()] as const;
    });
    t.is((await row(id)).delivery_state, 'pending', 'recorded pending: the row is the outbox');
    t.is(await counterValue(metricNames.notificationSent, { channel: 'email' }), before, 'recording alone does not count as sent');

    const delivery = new NotificationDelivery(fast, providersFor(sink.port));
    await withLoop(delivery, () =>
      eventually('the e-mail sent', async () => ((await row(id)).delivery_state === 'sent' ? true : undefined), 10_000),
    );

    t.is(sink.count(id), 1);
    const mail = sink.received.find((m) => m.notificationId === id)!;
    t.regex(mail.raw, /^Subject: .+/m);
    t.regex(mail.raw, /Content-Type: text\/plain; charset=utf-8/i);
    t.regex(mail.raw, /Content-Type: text\/html; charset=utf-8/i);
    t.regex(mail.raw, new RegExp(`^Message-ID: <${id}@ordersaga.dev>`, 'm'));
    t.regex(mail.raw, /^X-Tags: ordersaga,email,ko,order\.v1\.completed/m);
    const stored = await row(id);
    t.like(stored, { attempts: 1, last_error: null });
    t.truthy(stored.provider_message_id);
    t.is((await counterValue(metricNames.notificationSent, { channel: 'email', 'event.type': 'order.v1.completed' })) - before, 1);

    const span = spans.getFinishedSpans().find((s) => s.attributes['notification.id'] === id);
    t.truthy(span, 'one exit span per delivery');
    t.is(span!.kind, SpanKind.CLIENT);
    t.is(span!.attributes['peer.service'], 'test-smtp');
    t.is(span!.spanContext().traceId, consumerSpan.traceId, "the delivery is in the order's trace");
    t.is(span!.parentSpanId, consumerSpan.spanId, 'under the consumer span that recorded it');
  } finally {
    await sink.stop();
  }
});

test.serial(
  'an SMTP server that is down delays the e-mails and loses none: retried with backoff, each delivered once when it is back',
  async (t) => {
    const sink = new SmtpSink();
    sink.port = await deadPort();
    const failuresBefore = await counterValue(metricNames.notificationDeliveryFailures, {
      channel: 'email',
      'notification.delivery.outcome': 'retry',
    });
    const ids = await Promise.all(Array.from({ length: 5 }, () => recordCompletion()));
    const delivery = new NotificationDelivery(fast, providersFor(sink.port));
    await withLoop(delivery, async () => {
      // down: every row stays pending and is tried again, with its error and a next attempt recorded
      await eventually(
        'three attempts each while the server is down',
        async () => {
          const rows = await Promise.all(ids.map(row));
          return rows.every((r) => r.attempts >= 3) ? true : undefined;
        },
        15_000,
      );
      for (const id of ids) {
        const stored = await row(id);
        t.is(stored.delivery_state, 'pending', 'still pending, not failed or lost');
        t.truthy(stored.last_error, 'the error is recorded');
      }
      t.true(
        (await counterValue(metricNames.notificationDeliveryFailures, { channel: 'email', 'notification.delivery.outcome': 'retry' })) -
          failuresBefore >=
          15,
        'each failed attempt is counted',
      );
      // back on the same port
      await sink.start();
      await eventually(
        'all delivered',
        async () => ((await Promise.all(ids.map(row))).every((r) => r.delivery_state === 'sent') ? true : undefined),
        15_000,
      );
    });
    await sink.stop();
    for (const id of ids) t.is(sink.count(id), 1, `${id} delivered exactly once`);
  },
);

test.serial('a message the relay refuses for good (SMTP 550) is failed at once, not retried', async (t) => {
  const sink = new SmtpSink(true);
  await sink.start();
  try {
    const id = await recordCompletion();
    const delivery = new NotificationDelivery(fast, providersFor(sink.port));
    await withLoop(delivery, () =>
      eventually('failed', async () => ((await row(id)).delivery_state === 'failed' ? true : undefined), 10_000),
    );
    const stored = await row(id);
    t.is(stored.attempts, 1);
    t.regex(stored.last_error ?? '', /550|no such mailbox/);
    t.is(
      await counterValue(metricNames.notificationDeliveryFailures, { 'error.type': 'smtp_550', 'notification.delivery.outcome': 'failed' }),
      1,
    );
  } finally {
    await sink.stop();
  }
});

test.serial('attempts run out into failed, after exactly the configured number', async (t) => {
  const id = await recordCompletion();
  const delivery = new NotificationDelivery({ ...fast, maxAttempts: 3 }, providersFor(await deadPort()));
  await withLoop(delivery, () =>
    eventually('failed', async () => ((await row(id)).delivery_state === 'failed' ? true : undefined), 10_000),
  );
  t.is((await row(id)).attempts, 3);
});

test.serial('two delivery loops (two replicas) never send one notification twice', async (t) => {
  const sink = new SmtpSink();
  await sink.start();
  try {
    const ids = await Promise.all(Array.from({ length: 40 }, () => recordCompletion()));
    const one = new NotificationDelivery({ ...fast, batchSize: 5 }, providersFor(sink.port));
    const two = new NotificationDelivery({ ...fast, batchSize: 5 }, providersFor(sink.port));
    await withLoop(one, () =>
      withLoop(two, () =>
        eventually(
          'all sent',
          async () => ((await Promise.all(ids.map(row))).every((r) => r.delivery_state === 'sent') ? true : undefined),
          20_000,
        ),
      ),
    );
    for (const id of ids) t.is(sink.count(id), 1);
  } finally {
    await sink.stop();
  }
});

test.serial('SMS and push go to the HTTP provider: a 503 is retried, a 400 fails at once', async (t) => {
  const answers: number[] = [503, 503];
  /** The Mailpit send API's request, as far as this test reads it. */
  interface SendRequest {
    To: { Email: string }[];
    Text: string;
    Tags?: string[];
    Headers?: Record<string, string>;
  }
  const requests: { notificationId: string; body: SendRequest }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const parsed = JSON.parse(body) as SendRequest;
      const notificationId = parsed.Headers?.['X-Notification-Id'] ?? '';
      const status = parsed.Tags?.includes('push') ? 400 : (answers.shift() ?? 200);
      requests.push({ notificationId, body: parsed });
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status === 200 ? JSON.stringify({ ID: `msg-${requests.length}` }) : '{"Error":"no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/send`;
  try {
    const sms = await recordCompletion({ channel: 'sms', locale: 'ko' });
    const push = await recordCompletion({ channel: 'push', locale: 'en' });
    const delivery = new NotificationDelivery(fast, providersFor(await deadPort(), url));
    await withLoop(delivery, () =>
      eventually(
        'both settled',
        async () => {
          const [a, b] = await Promise.all([row(sms), row(push)]);
          return a.delivery_state === 'sent' && b.delivery_state === 'failed' ? true : undefined;
        },
        10_000,
      ),
    );
    t.like(await row(sms), { attempts: 3, delivery_state: 'sent' });
    t.regex((await row(sms)).provider_message_id ?? '', /^msg-/, "the provider's message id is kept");
    t.is((await row(push)).attempts, 1);
    const smsRequest = requests.find((r) => r.notificationId === sms)!;
    t.regex(smsRequest.body.Text, /^\[ordersaga\] 주문 완료/);
    t.is(smsRequest.body.To[0]?.Email, '82-10-0000-0000@sms.ordersaga.dev');
    const span = spans.getFinishedSpans().find((s) => s.attributes['notification.id'] === push);
    t.is(span?.attributes['peer.service'], 'test-push-provider');
    t.is(span?.attributes['error.type'], 'http_400');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
