/**
 * Keeps the CommonJS side of the instrumentations cheap.
 *
 * require-in-the-middle (how the instrumentations see `require()`d modules) resolves the path of
 * every `require()` call again, to decide whether the module is one to patch: it calls
 * `Module._resolveFilename(request, parent)` itself. Node's own `require` skips that work for a
 * request it has resolved from the same parent before (its relative-resolve cache); this second
 * resolution cannot, and under tsx every resolution made with two arguments also captures a stack
 * trace (tsx checks whether the CommonJS lexer is the caller), formatted through source maps.
 * kafkajs requires its protocol modules inside every produce, fetch and offset commit, so in a
 * Kafka consumer that extra resolution was about a sixth of all CPU with telemetry on.
 *
 * So the two-argument calls (require-in-the-middle's; Node's own pass more) for requests made from
 * files inside `node_modules` are remembered: packages do not move while a process runs, and the
 * answer is only the file name, which Node then resolves and loads as usual.
 */
import { createRequire } from 'node:module';
import { sep } from 'node:path';

interface ModuleWithResolver {
  _resolveFilename(this: unknown, request: string, parent?: { filename?: string | null }, ...rest: unknown[]): string;
}

const NODE_MODULES = `${sep}node_modules${sep}`;
let installed = false;

export function cacheInstrumentationResolutions(): void {
  if (installed) return;
  installed = true;
  const Module = createRequire(import.meta.url)('node:module') as ModuleWithResolver;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the caller's `this` (resolve.call below)
  const resolve = Module._resolveFilename;
  const resolved = new Map<string, string>();
  Module._resolveFilename = function (this: unknown, request, parent, ...rest) {
    const from = parent?.filename;
    if (rest.length > 0 || typeof from !== 'string' || !from.includes(NODE_MODULES)) return resolve.call(this, request, parent, ...rest);
    const key = `${from}\0${request}`;
    let filename = resolved.get(key);
    if (filename === undefined) {
      filename = resolve.call(this, request, parent);
      resolved.set(key, filename);
    }
    return filename;
  };
}
