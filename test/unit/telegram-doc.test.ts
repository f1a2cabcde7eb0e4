/** docs/payment-telegram.md shows the protocol's tables as the code defines them, never a stale copy. */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { DOC_PATH, renderDocument } from '../../platform/contracts/telegram/doc-tables.js';

test('the generated tables of docs/payment-telegram.md are current', (t) => {
  const document = readFileSync(DOC_PATH, 'utf8');
  t.is(
    renderDocument(document),
    document,
    'stale: run `npx tsx platform/contracts/telegram/doc-tables.ts --write` and commit docs/payment-telegram.md',
  );
});
