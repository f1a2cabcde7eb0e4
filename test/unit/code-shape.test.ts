/**
 * The boundaries issue 16 drew, kept by a test: the payment client does not reach into the
 * simulator's folder (the wire format is a contract in platform/contracts/telegram/), the shared
 * platform names no service folder, and each demo trigger is written down once
 * (platform/contracts/demo-triggers.ts); infra/ is sorted by kind (docs/decisions.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { scarceProduct, testCards, UNDELIVERABLE_POSTAL_CODES } from '../../platform/contracts/demo-triggers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(directory: string): string[] {
  return readdirSync(join(root, directory), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** Module specifiers and `new URL('…', import.meta.url)` paths: what a file reaches for. */
function reachedPaths(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  const urls = [...text.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g)].map((match) => match[1]!);
  return [...imports, ...urls];
}

const serviceFolders = ['activities', 'consumers', 'gateway', 'payment-sim', 'workers', 'workflows', 'dist'];

test('nothing under activities/ imports from payment-sim/', (t) => {
  const offenders = sourceFiles('activities').flatMap((file) =>
    reachedPaths(file)
      .filter((path) => path.includes('payment-sim/'))
      .map((path) => `${file}: ${path}`),
  );
  t.deepEqual(offenders, []);
});

test('nothing under platform/ names a service folder', (t) => {
  const offenders = sourceFiles('platform').flatMap((file) =>
    reachedPaths(file)
      .filter((path) => path.startsWith('.') && serviceFolders.includes(relative(root, resolve(root, dirname(file), path)).split('/')[0]!))
      .map((path) => `${file}: ${path}`),
  );
  t.deepEqual(offenders, []);
});

test('each demo trigger is written down once, in platform/contracts/demo-triggers.ts', (t) => {
  const triggers = [...testCards.map((card) => card.number), ...UNDELIVERABLE_POSTAL_CODES, scarceProduct.sku];
  const productFolders = [
    'activities',
    'bench',
    'consumers',
    'gateway',
    'infra/programs/setup',
    'loadgen',
    'payment-sim',
    'platform',
    'workers',
    'workflows',
    'test/support',
  ];
  const offenders = productFolders
    .flatMap((folder) => sourceFiles(folder))
    .filter((file) => file !== 'platform/contracts/demo-triggers.ts')
    .flatMap((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return triggers
        .filter((trigger) => new RegExp(`['"\`]${trigger}['"\`]|\\b${trigger}\\b`).test(text))
        .map((trigger) => `${file}: ${trigger}`);
    });
  t.deepEqual(offenders, []);
});

test('infra/ is sorted by kind: the local stack in bash, the programs in TypeScript, the manifests in deploy/', (t) => {
  const tracked = (directory: string) =>
    readdirSync(join(root, directory), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)));
  const kinds = readdirSync(join(root, 'infra'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  t.deepEqual(kinds.map((entry) => entry.name).sort(), ['deploy', 'local', 'programs']);
  t.deepEqual(
    tracked('infra/programs').filter((file) => !file.endsWith('.ts')),
    [],
    'infra/programs holds TypeScript programs only',
  );
  t.deepEqual(
    [...tracked('infra/local'), ...tracked('infra/deploy')].filter((file) => /\.(ts|mts|mjs)$/.test(file)),
    [],
    'no TypeScript program under infra/local or infra/deploy',
  );
});
