/** Database spans only inside a recorded trace (platform/telemetry/pg-recorded-only.ts). */
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import test from 'ava';
import { traceQueriesOnlyWhenRecorded } from '../../platform/telemetry/pg-recorded-only.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracer = new BasicTracerProvider({ sampler: new AlwaysOnSampler() }).getTracer('test');

/** A Client prototype as instrumentation-pg leaves it: `query` wrapped, the original on `__original`. */
function instrumentedPrototype() {
  const calls: { via: 'instrumented' | 'original'; self: unknown; args: unknown[] }[] = [];
  const original = function (this: unknown, ...args: unknown[]) {
    calls.push({ via: 'original', self: this, args });
    return 'result';
  };
  const instrumented = Object.assign(
    function (this: unknown, ...args: unknown[]) {
      calls.push({ via: 'instrumented', self: this, args });
      return original.apply(this, args);
    },
    { __original: original, __wrapped: true },
  );
  return { prototype: { query: instrumented as unknown }, calls };
}

const unsampled = trace.wrapSpanContext({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: TraceFlags.NONE });

test('under a recording span a query goes through the instrumentation', (t) => {
  const { prototype, calls } = instrumentedPrototype();
  t.true(traceQueriesOnlyWhenRecorded(prototype));
  const client = { name: 'client' };
  const result = tracer.startActiveSpan('process', (span) => {
    const value = (prototype.query as (...args: unknown[]) => unknown).call(client, 'SELECT 1', [7]);
    span.end();
    return value;
  });
  t.is(result, 'result');
  t.deepEqual(
    calls.map((call) => call.via),
    ['instrumented', 'original'],
  );
  t.is(calls[0]!.self, client);
  t.deepEqual(calls[0]!.args, ['SELECT 1', [7]]);
});

test('under an unsampled span, or none, a query skips the instrumentation and still runs', (t) => {
  const { prototype, calls } = instrumentedPrototype();
  traceQueriesOnlyWhenRecorded(prototype);
  const query = prototype.query as (...args: unknown[]) => unknown;
  const client = { name: 'client' };
  t.is(
    context.with(trace.setSpan(context.active(), unsampled), () => query.call(client, 'SELECT 2')),
    'result',
  );
  t.is(query.call(client, 'SELECT 3'), 'result');
  t.deepEqual(
    calls.map((call) => call.via),
    ['original', 'original'],
  );
  t.deepEqual(
    calls.map((call) => call.args[0]),
    ['SELECT 2', 'SELECT 3'],
  );
  t.is(calls[0]!.self, client);
});

test('applied twice it wraps once; without the instrumentation it changes nothing', (t) => {
  const { prototype, calls } = instrumentedPrototype();
  t.true(traceQueriesOnlyWhenRecorded(prototype));
  const once = prototype.query;
  t.false(traceQueriesOnlyWhenRecorded(prototype));
  t.is(prototype.query, once);
  tracer.startActiveSpan('process', (span) => {
    (prototype.query as () => unknown)();
    span.end();
  });
  t.deepEqual(
    calls.map((call) => call.via),
    ['instrumented', 'original'],
    'one instrumented call, not two',
  );

  const plain = { query: () => 'plain' };
  const before = plain.query;
  t.false(traceQueriesOnlyWhenRecorded(plain));
  t.is(plain.query, before);
});
