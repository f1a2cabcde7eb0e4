/**
 * The resolution cache under the instrumentations' require hook (platform/telemetry/resolve-cache.ts):
 * a repeated two-argument resolution from a package file is answered from memory, with the same
 * answer; every other call still goes to the resolver.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { cacheInstrumentationResolutions } from '../../platform/telemetry/resolve-cache.js';

type Resolver = (request: string, parent?: unknown, ...rest: unknown[]) => string;
const Module = createRequire(import.meta.url)('node:module') as { _resolveFilename: Resolver };

// Count what reaches the resolver underneath, then put the cache on top of the counter.
let calls = 0;
const underneath = Module._resolveFilename;
Module._resolveFilename = function (this: unknown, ...args: Parameters<Resolver>) {
  calls += 1;
  return underneath.apply(this, args);
};
cacheInstrumentationResolutions();

const packageFile = fileURLToPath(new URL('../../node_modules/kafkajs/src/protocol/requests/fetch/index.js', import.meta.url));
const ownFile = fileURLToPath(import.meta.url);

test.serial("a package file's repeated two-argument resolution is answered from memory, with the same file", (t) => {
  const parent = { id: packageFile, filename: packageFile, paths: [] };
  calls = 0;
  const first = Module._resolveFilename('./v11/request', parent);
  const second = Module._resolveFilename('./v11/request', parent);
  t.is(second, first);
  t.regex(first, /kafkajs\/src\/protocol\/requests\/fetch\/v11\/request\.js$/);
  t.is(calls, 1);
});

test.serial("three-argument calls (Node's own), files outside node_modules and failures are never cached", (t) => {
  calls = 0;
  Module._resolveFilename('./v11/request', { id: packageFile, filename: packageFile, paths: [] }, false);
  Module._resolveFilename('./v11/request', { id: packageFile, filename: packageFile, paths: [] }, false);
  t.is(calls, 2);
  calls = 0;
  Module._resolveFilename('../support/estate.ts', { id: ownFile, filename: ownFile, paths: [] });
  Module._resolveFilename('../support/estate.ts', { id: ownFile, filename: ownFile, paths: [] });
  t.is(calls, 2);
  t.throws(() => Module._resolveFilename('./no-such-module', { id: packageFile, filename: packageFile, paths: [] }));
  t.throws(() => Module._resolveFilename('./no-such-module', { id: packageFile, filename: packageFile, paths: [] }));
});
