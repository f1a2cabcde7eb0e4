/**
 * The connected-tree check the end-to-end proof relies on (test/support/otlp-traces.ts): it must
 * say yes to one tree and no to every way a trace can fall apart.
 */
import test from 'ava';
import type { ReceivedSpan } from '../support/otlp-receiver.js';
import { analyseTree, renderTree } from '../support/otlp-traces.js';

const TRACE = 'ab'.repeat(16);
const CLIENT_PARENT = 'cd'.repeat(8);

function span(spanId: string, parentSpanId: string | undefined, service: string, name = spanId, startTimeMs = 0): ReceivedSpan {
  return {
    traceId: TRACE,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind: 'INTERNAL',
    startTimeMs,
    endTimeMs: startTimeMs + 1,
    durationMs: 1,
    attributes: {},
    status: { code: 'UNSET' },
    events: [],
    links: [],
    service,
    resource: {},
    scope: '',
  };
}

const order = [
  span('g', CLIENT_PARENT, 'gateway', 'POST /orders', 0),
  span('o', 'g', 'order', 'POST /orders', 1),
  span('w', 'o', 'order', 'RunWorkflow:OrderWorkflow', 2),
  span('i', 'w', 'inventory', 'RunActivity:reserveStock', 3),
  span('k', 'i', 'inventory', 'send ordersaga.inventory.events', 4),
  span('a', 'k', 'analytics', 'process ordersaga.inventory.events', 5),
];

test('a trace whose spans all hang from the gateway span is one connected tree', (t) => {
  const report = analyseTree(order, { externalParentSpanId: CLIENT_PARENT });
  t.true(report.connected);
  t.is(report.root?.spanId, 'g');
  t.deepEqual(report.services, ['analytics', 'gateway', 'inventory', 'order']);
  t.is(report.spans, 6);
});

test('a span whose parent never arrived splits the trace', (t) => {
  const report = analyseTree([...order.filter((s) => s.spanId !== 'k')], { externalParentSpanId: CLIENT_PARENT });
  t.false(report.connected);
  t.deepEqual(report.roots.map((s) => s.spanId).sort(), ['a', 'g']);
});

test('two roots, a root under the wrong parent, a repeated span id, and an empty trace are not one tree', (t) => {
  t.false(analyseTree([...order, span('x', undefined, 'notification')]).connected, 'a second root');
  t.false(analyseTree(order, { externalParentSpanId: 'ef'.repeat(8) }).connected, 'rooted under another client span');
  t.false(analyseTree([...order, span('a', 'k', 'analytics')]).connected, 'a duplicated span id');
  t.false(analyseTree([]).connected, 'no spans at all');
  t.true(analyseTree(order).connected, 'without an expected parent, any single root will do');
});

test('a cycle is not a tree even when every span has its parent', (t) => {
  const cycle = [span('r', undefined, 'gateway'), span('p', 'q', 'order'), span('q', 'p', 'order')];
  t.false(analyseTree(cycle).connected);
});

test('the picture lists each span under its parent in start order, orphans apart', (t) => {
  t.is(
    renderTree(order),
    [
      'gateway INTERNAL POST /orders',
      '  order INTERNAL POST /orders',
      '    order INTERNAL RunWorkflow:OrderWorkflow',
      '      inventory INTERNAL RunActivity:reserveStock',
      '        inventory INTERNAL send ordersaga.inventory.events',
      '          analytics INTERNAL process ordersaga.inventory.events',
    ].join('\n'),
  );
  const broken = renderTree(
    order.filter((s) => s.spanId !== 'k'),
    { omit: (s) => s.service === 'order' },
  );
  t.is(broken, ['gateway INTERNAL POST /orders', '(orphan)', '  analytics INTERNAL process ordersaga.inventory.events'].join('\n'));
});
