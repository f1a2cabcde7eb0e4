/**
 * The tables of docs/payment-telegram.md, rendered from the code that defines them, so the document
 * cannot drift from the protocol: `npx tsx platform/contracts/telegram/doc-tables.ts --write` rewrites the
 * generated regions, and a unit test fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testCards } from '../demo-triggers.js';
import { telegramCodec } from './codec.js';
import { FRAME_LENGTH, LENGTH_PREFIX_BYTES, TELEGRAM_LENGTH, messageTypeTable, telegramLayout } from './layout.js';
import { blankTelegram } from './messages.js';
import { responseCodeForDecline, responseCodeTable } from './response-codes.js';

export const DOC_PATH = fileURLToPath(new URL('../../../docs/payment-telegram.md', import.meta.url));

const padding = { numeric: "zero-padded left ('0')", alpha: "space-padded right (' ')", hangul: 'EUC-KR, space-padded right' } as const;

function renderLayout(): string {
  const rows = telegramLayout.map(
    (field, index) =>
      `| ${index + 1} | ${field.part} | \`${field.name}\` | ${field.offset} | ${field.offset + LENGTH_PREFIX_BYTES} | ${field.length} | ${field.kind} | ${padding[field.kind]} | ${field.description} |`,
  );
  return [
    `Frame: ${LENGTH_PREFIX_BYTES}-byte length prefix \`${String(TELEGRAM_LENGTH).padStart(LENGTH_PREFIX_BYTES, '0')}\`, then ${TELEGRAM_LENGTH} bytes: ${FRAME_LENGTH} bytes in all.`,
    '',
    '| # | part | field | offset | offset in frame | length (bytes) | kind | padding | meaning |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function renderMessageTypes(): string {
  return ['| type | meaning |', '|---|---|', ...messageTypeTable.map(({ type, meaning }) => `| \`${type}\` | ${meaning} |`)].join('\n');
}

function renderResponseCodes(): string {
  return [
    '| code | meaning | client outcome | HTTP `declineCode` |',
    '|---|---|---|---|',
    ...responseCodeTable.map(
      (entry) =>
        `| \`${entry.code}\` | ${entry.meaning} | ${entry.outcome} | ${'declineCode' in entry ? `\`${entry.declineCode}\`` : ''} |`,
    ),
  ].join('\n');
}

function renderTestCards(): string {
  const outcome = (decision: (typeof testCards)[number]['decision']) =>
    decision.kind === 'approve'
      ? 'approved (HTTP 201, `0000`)'
      : decision.kind === 'decline'
        ? `declined \`${decision.declineCode}\` (HTTP 402, \`${responseCodeForDecline(decision.declineCode)}\`)`
        : 'gateway error (HTTP 500, `0096`), nothing booked';
  return [
    '| card number | behaviour | answer |',
    '|---|---|---|',
    ...testCards.map((card) => `| \`${card.number}\` | ${card.behaviour} | ${outcome(card.decision)} |`),
    '| any other Luhn-valid number | approved | approved (HTTP 201, `0000`) |',
    '| any Luhn-invalid number | invalid card | declined `invalid_card` (HTTP 402, `0014`) |',
  ].join('\n');
}

/** An 0200 as it travels, one field per line, from fixed values so the document is stable. */
function renderExample(): string {
  const example = blankTelegram({
    systemCode: 'OSGA',
    messageType: '0200',
    traceNumber: 1234567,
    sendDate: 20250301,
    sendTime: 93015,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    merchantId: 'ORDERSAGA1',
    orderId: '3f2b8c1e-9d4a-4c6e-8b1f-2a7d5e9c0b13',
    amount: 45000,
    currency: 'KRW',
    cardToken: 'tok_Xq3v9LkP0aZ2mB7cR4sT',
    installmentMonths: 3,
    merchantName: '오더사가 온라인 스토어',
  });
  const encoded = telegramCodec.encode(example);
  if (!encoded.ok) throw new Error(encoded.error.message);
  const frame = encoded.frame;
  const lines = [`prefix             ${JSON.stringify(frame.toString('latin1', 0, LENGTH_PREFIX_BYTES))}`];
  for (const field of telegramLayout) {
    const bytes = frame.subarray(LENGTH_PREFIX_BYTES + field.offset, LENGTH_PREFIX_BYTES + field.offset + field.length);
    const shown =
      field.kind === 'hangul'
        ? `${bytes.toString('hex').replace(/(..)/g, '$1 ').trim()}  (EUC-KR of ${JSON.stringify(example.merchantName)} + spaces)`
        : JSON.stringify(bytes.toString('latin1'));
    lines.push(`${field.name.padEnd(18)} ${shown}`);
  }
  return ['```text', ...lines, '```'].join('\n');
}

export const generatedRegions: Record<string, () => string> = {
  layout: renderLayout,
  'message-types': renderMessageTypes,
  'response-codes': renderResponseCodes,
  'test-cards': renderTestCards,
  example: renderExample,
};

/** The document with every generated region rendered afresh. */
export function renderDocument(document: string): string {
  let result = document;
  for (const [name, render] of Object.entries(generatedRegions)) {
    const begin = `<!-- BEGIN generated:${name} -->`;
    const end = `<!-- END generated:${name} -->`;
    const from = result.indexOf(begin);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${DOC_PATH} lacks the region ${begin} … ${end}`);
    result = `${result.slice(0, from + begin.length)}\n${render()}\n${result.slice(to)}`;
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  writeFileSync(DOC_PATH, renderDocument(readFileSync(DOC_PATH, 'utf8')));
  console.log(`rewrote the generated tables of ${DOC_PATH}`);
}
