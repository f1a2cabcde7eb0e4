/**
 * No full card number anywhere but the card vault (issue 12, docs/decisions.md "Card data"): orders
 * placed at the running estate's gateway with a card number made up for this run (Luhn-valid, so
 * approved), one per payment line, are followed to COMPLETED; then the card number, with or without
 * separators, is searched for in their Temporal histories (payloads decoded), every service's log
 * file, every Kafka topic read from the beginning, and every table of every service database but
 * the vault's `card_vault`, which must hold it only encrypted.
 *
 * Made up per run, the number is in no earlier order, so whatever a search finds was put there by
 * this test's orders. `CARD_DATA_PLANT=1` plants it in a log file first, to see the search catch it.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import test from 'ava';
import pg from 'pg';
import { config } from '../../platform/config.js';
import { temporalConnectionSettings } from '../../platform/connections.js';
import { workflowIdFor } from '../../platform/contracts/workflow.js';
import { kafkaClient } from '../../platform/kafka.js';
import { databaseUrlVariables } from '../../infra/programs/setup/test-estate.js';
import { eventually, stockTestProduct, submitOrder, waitForStatus } from '../support/estate.js';

const LOG_DIR = join(import.meta.dirname, '..', '..', '.state', 'logs');
/** The vault is the one place the number may be, encrypted: `payments.card_vault`. */
const VAULT_TABLE = 'card_vault';

/** A 16-digit Visa-range number whose check digit is right, unique to this run. */
function madeUpCardNumber(): string {
  const body = `4${String(randomInt(10 ** 9)).padStart(9, '0')}${String(randomInt(10 ** 5)).padStart(5, '0')}`;
  for (let check = 0; check <= 9; check += 1) if (luhn(body + check)) return body + check;
  throw new Error('unreachable');
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The number with any of the usual separators (space, dash, dot) or none between its digits. */
function panPattern(pan: string): RegExp {
  return new RegExp(pan.split('').join('[\\s.-]?'));
}

/**
 * A history as text with every payload decoded: protobuf's JSON form shows bytes as base64, so each
 * `data` string is shown decoded (and as it was).
 */
function historyText(history: unknown): string {
  const decoded: string[] = [];
  const raw = JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) decoded.push(Buffer.from(value).toString('utf8'));
    else if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return [raw, ...decoded].join('\n');
}

const pan = madeUpCardNumber();
const pattern = panPattern(pan);
const last4 = pan.slice(-4);
const orders: string[] = [];

test.before(async () => {
  if (process.env.CARD_DATA_PLANT === '1')
    appendFileSync(join(LOG_DIR, 'gateway.log'), `{"planted":"${pan.replace(/(\d{4})(?=\d)/g, '$1 ')}"}\n`);
  const sku = await stockTestProduct(10, 20_000);
  for (const channel of ['http', 'tcp'] as const) {
    const submitted = await submitOrder({
      customerId: `card-data-${randomUUID().slice(0, 8)}`,
      items: [{ sku, quantity: 1 }],
      // Typed as a customer would, with spaces: the edge must find the number in that form too.
      payment: { channel, cardNumber: pan.replace(/(\d{4})(?=\d)/g, '$1 ') },
      shippingAddress: { name: '김민준', line1: '테헤란로 152', city: '서울', postalCode: '06236', country: 'KR' },
    });
    if (submitted.status !== 202) throw new Error(`order over ${channel} answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
    orders.push(submitted.body.orderId as string);
  }
  for (const orderId of orders) {
    const order = await waitForStatus(orderId, (status) =>
      ['COMPLETED', 'PAYMENT_DECLINED', 'FAILED', 'REJECTED', 'CANCELLED'].includes(status),
    );
    if (order.status !== 'COMPLETED') throw new Error(`order ${orderId} ended ${order.status}: ${order.reason ?? ''}`);
    if (order.payment?.cardLast4 !== last4) throw new Error(`order ${orderId} shows card ${order.payment?.cardLast4}, not …${last4}`);
  }
});

test('the orders completed and show only the last four digits', (t) => {
  t.is(orders.length, 2);
});

test("a number failing the Luhn check still ends PAYMENT_DECLINED, declined in preparation on the vault's check", async (t) => {
  const wrongCheckDigit = `${pan.slice(0, -1)}${(Number(pan.at(-1)) + 1) % 10}`;
  const submitted = await submitOrder({
    customerId: `card-data-${randomUUID().slice(0, 8)}`,
    items: [{ sku: await stockTestProduct(1, 1_000), quantity: 1 }],
    payment: { channel: 'http', cardNumber: wrongCheckDigit },
    shippingAddress: { name: '김민준', line1: '테헤란로 152', city: '서울', postalCode: '06236', country: 'KR' },
  });
  t.is(submitted.status, 202);
  const order = await waitForStatus(submitted.body.orderId, (status) => !['PENDING', 'STOCK_RESERVED'].includes(status));
  t.is(order.status, 'PAYMENT_DECLINED');
  t.regex(order.reason ?? '', /Luhn/);
});

test('Temporal: no card number in the histories (payloads decoded)', async (t) => {
  const env = config();
  const connection = await Connection.connect(temporalConnectionSettings(env));
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    for (const orderId of orders) {
      const history = await client.workflow.getHandle(workflowIdFor(orderId)).fetchHistory();
      const text = historyText(history);
      t.true(
        text.includes(orderId) && text.includes(`"orderId":"${orderId}"`),
        `the history of ${orderId} was read, and its payloads decoded`,
      );
      t.regex(text, /"cardToken":"tok_[A-Za-z0-9_-]{20}"/, `the history of ${orderId} carries the vault's token`);
      t.false(pattern.test(text), `the history of order ${orderId} holds the card number`);
    }
  } finally {
    await connection.close();
  }
});

test("logs: no card number in any service's log file", (t) => {
  const files = readdirSync(LOG_DIR).filter((name) => name.endsWith('.log'));
  t.true(files.includes('gateway.log') && files.includes('payment-sim.log'), `the services' logs are in ${LOG_DIR}`);
  const holding = files.filter((name) => pattern.test(readFileSync(join(LOG_DIR, name), 'utf8')));
  t.deepEqual(holding, [], 'log files holding the card number');
});

test('Kafka: no card number in any topic, read from the beginning', async (t) => {
  const kafka = kafkaClient(`card-data-scan-${randomUUID()}`);
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `card-data-scan-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  try {
    const topics = (await admin.listTopics()).filter((topic) => !topic.startsWith('__'));
    // Each partition is read up to where it ends now; our orders' events are in by then (awaited below).
    const ends = new Map<string, number>();
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) {
        if (Number(partition.high) > Number(partition.low)) ends.set(`${topic}/${partition.partition}`, Number(partition.high));
      }
    }
    const done = new Set<string>();
    const found: string[] = [];
    let read = 0;
    let ours = 0;
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}/${batch.partition}`;
        for (const message of batch.messages) {
          read += 1;
          const text = [message.key, message.value, ...Object.values(message.headers ?? {}).flat()]
            .map((part) => (part === undefined || part === null ? '' : part.toString()))
            .join('\n');
          if (orders.some((orderId) => text.includes(orderId))) ours += 1;
          if (pattern.test(text)) found.push(`${key}@${message.offset}`);
          if (Number(message.offset) + 1 >= (ends.get(key) ?? 0)) done.add(key);
        }
      },
    });
    await eventually(
      `every partition read to its end (${ends.size})`,
      async () => ([...ends.keys()].every((key) => done.has(key)) ? true : undefined),
      120_000,
      200,
    );
    t.true(read > 0 && ours >= orders.length, `the topics were read (${read} records, ${ours} of this test's orders)`);
    t.deepEqual(found, [], 'records holding the card number');
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});

test('databases: no card number in any table but the vault, which holds it encrypted', async (t) => {
  const env = config();
  const found: string[] = [];
  let vaultRows = -1;
  for (const variable of databaseUrlVariables()) {
    const client = new pg.Client({ connectionString: env[variable] });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      );
      for (const { schema, name } of tables) {
        const table = `"${schema.replaceAll('"', '""')}"."${name.replaceAll('"', '""')}"`;
        // A row as text: every column, jsonb included; a bytea column shows as hex, so the digits' ASCII codes are searched too.
        const { rows } = await client.query<{ hits: number }>(
          `SELECT count(*)::int AS hits FROM ${table} t WHERE t::text ~ $1 OR t::text ~* $2`,
          [pattern.source.replaceAll('\\s', '[:space:]'), [...pan].map((digit) => `3${digit}`).join('')],
        );
        if (rows[0]!.hits > 0 && name !== VAULT_TABLE) found.push(`${variable} ${schema}.${name} (${rows[0]!.hits} rows)`);
        if (name === VAULT_TABLE) {
          t.is(rows[0]!.hits, 0, 'the vault holds the number encrypted, never in clear');
          const { rows: cards } = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table} WHERE last4 = $1`, [
            last4,
          ]);
          vaultRows = cards[0]!.count;
        }
      }
    } finally {
      await client.end();
    }
  }
  t.deepEqual(found, [], 'tables holding the card number');
  t.true(vaultRows >= 1, 'the vault has the card (encrypted), under its last four digits');
});
