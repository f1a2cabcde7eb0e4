/**
 * What a trace looks like as a tree: is it one connected tree (one root, every other span's parent
 * in the trace, every span reachable from the root), which services does it cross, and a printable
 * picture of it for failure messages and the docs.
 */
import type { ReceivedSpan } from './otlp-receiver.js';

export interface TreeReport {
  traceId: string;
  spans: number;
  /** One root, no orphans, every span reachable from the root, no span id twice. */
  connected: boolean;
  root?: ReceivedSpan;
  /** Spans that start a tree of their own: no parent, or a parent that is not in the trace. */
  roots: ReceivedSpan[];
  /** Span ids that occur more than once. */
  duplicates: string[];
  services: string[];
}

/**
 * `externalParentSpanId`: the span id the trace's first request named as its parent (a client that
 * sent `traceparent` but exports no span of its own). A span whose parent is that id is the root.
 */
export function analyseTree(spans: readonly ReceivedSpan[], options: { externalParentSpanId?: string } = {}): TreeReport {
  const byId = new Map<string, ReceivedSpan>();
  const duplicates: string[] = [];
  for (const span of spans) {
    if (byId.has(span.spanId)) duplicates.push(span.spanId);
    byId.set(span.spanId, span);
  }
  const roots = spans.filter((span) => span.parentSpanId === undefined || !byId.has(span.parentSpanId));
  const root =
    roots.length === 1 && (options.externalParentSpanId === undefined || roots[0]!.parentSpanId === options.externalParentSpanId)
      ? roots[0]
      : undefined;
  let reachable = 0;
  if (root) {
    const children = childrenOf(spans);
    const seen = new Set<string>();
    const queue = [root.spanId];
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const child of children.get(id) ?? []) queue.push(child.spanId);
    }
    reachable = seen.size;
  }
  return {
    traceId: spans[0]?.traceId ?? '',
    spans: spans.length,
    connected: root !== undefined && duplicates.length === 0 && reachable === byId.size,
    ...(root ? { root } : {}),
    roots,
    duplicates,
    services: [...new Set(spans.map((span) => span.service))].sort(),
  };
}

function childrenOf(spans: readonly ReceivedSpan[]): Map<string, ReceivedSpan[]> {
  const children = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    if (span.parentSpanId === undefined) continue;
    const siblings = children.get(span.parentSpanId) ?? [];
    siblings.push(span);
    children.set(span.parentSpanId, siblings);
  }
  for (const siblings of children.values()) siblings.sort((a, b) => a.startTimeMs - b.startTimeMs);
  return children;
}

/**
 * The trace as indented lines, `service KIND name`, children in start order below their parent;
 * spans whose parent is missing are listed under `(orphan)` at the end. `omit` leaves out spans
 * (and their subtrees) a picture does not need, e.g. TCP connects.
 */
export function renderTree(spans: readonly ReceivedSpan[], options: { omit?: (span: ReceivedSpan) => boolean } = {}): string {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const children = childrenOf(spans);
  const lines: string[] = [];
  const walk = (span: ReceivedSpan, depth: number) => {
    if (options.omit?.(span)) return;
    lines.push(`${'  '.repeat(depth)}${span.service} ${span.kind} ${span.name}`);
    for (const child of children.get(span.spanId) ?? []) walk(child, depth + 1);
  };
  const tops = spans
    .filter((span) => span.parentSpanId === undefined || !byId.has(span.parentSpanId))
    .sort((a, b) => a.startTimeMs - b.startTimeMs);
  tops.forEach((top, index) => {
    if (index > 0) lines.push('(orphan)');
    walk(top, index > 0 ? 1 : 0);
  });
  return lines.join('\n');
}
