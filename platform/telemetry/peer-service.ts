/**
 * Names the remote side of every exit span, so the APM's dependency map draws Kafka, each database,
 * the payment simulator and the other services as nodes even where no span of theirs exists.
 *
 * An exit span (CLIENT or PRODUCER) that does not name its peer gets `peer.service` and its newer
 * name `service.peer.name` (semantic conventions 1.30+) from what the instrumentation recorded:
 *
 * - `messaging.system` → that system (`kafka`);
 * - `db.system` + `db.name`/`db.namespace` → `<database>-db` (`orders-db`, `inventory-db`, …): one node
 *   per database, which is what each service owns;
 * - `server.address`/`server.port` (or the older `net.peer.name`/`net.peer.port`) → the service whose
 *   configured URL has that host and port (`payment-sim`, `order`, `inventory`, …).
 *
 * It runs in `onStart`, where the instrumentations have already set these attributes, so the span
 * carries its peer from the first moment and costs one lookup.
 */
import { type Attributes, type AttributeValue, type Context, SpanKind } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export const PEER_SERVICE = 'peer.service';
export const SERVICE_PEER_NAME = 'service.peer.name';

/** host:port → service name. Loopback spellings are one host, so `localhost:9090` matches `127.0.0.1:9090`. */
export type PeerDirectory = ReadonlyMap<string, string>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0']);

function hostKey(host: string, port: string | number): string {
  const normalized = host.toLowerCase();
  return `${LOOPBACK.has(normalized) ? 'loopback' : normalized}:${port}`;
}

/**
 * The directory of our own services, from their configured addresses: URLs (`http://host:port`) and
 * `host:port` pairs. The defaults of a scheme stand in for a missing port.
 */
export function peerDirectory(addresses: Iterable<readonly [service: string, address: string]>): PeerDirectory {
  const directory = new Map<string, string>();
  for (const [service, address] of addresses) {
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? new URL(address) : new URL(`tcp://${address}`);
    const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
    if (!url.hostname || !port) continue;
    directory.set(hostKey(url.hostname.replace(/^\[|\]$/g, ''), port), service);
  }
  return directory;
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The peer an exit span talks to, or undefined when its attributes do not say. */
export function peerOf(attributes: Attributes, directory: PeerDirectory): string | undefined {
  const messaging = text(attributes['messaging.system']);
  if (messaging) return messaging;
  if (text(attributes['db.system'])) {
    const database = text(attributes['db.namespace']) ?? text(attributes['db.name']);
    if (database) return `${database}-db`;
    return text(attributes['db.system']);
  }
  const host = text(attributes['server.address']) ?? text(attributes['net.peer.name']);
  const port = text(attributes['server.port']) ?? text(attributes['net.peer.port']);
  if (host && port) return directory.get(hostKey(host, port));
  return undefined;
}

export class PeerServiceSpanProcessor implements SpanProcessor {
  constructor(private readonly directory: PeerDirectory) {}

  onStart(span: Span, _parentContext: Context): void {
    if (span.kind !== SpanKind.CLIENT && span.kind !== SpanKind.PRODUCER) return;
    const named = text(span.attributes[PEER_SERVICE]) ?? text(span.attributes[SERVICE_PEER_NAME]);
    const peer = named ?? peerOf(span.attributes, this.directory);
    if (!peer) return;
    if (span.attributes[PEER_SERVICE] === undefined) span.setAttribute(PEER_SERVICE, peer);
    if (span.attributes[SERVICE_PEER_NAME] === undefined) span.setAttribute(SERVICE_PEER_NAME, peer);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
