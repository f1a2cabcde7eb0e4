/**
 * The live order feed behind the web console's order list (`GET /live/orders`, server-sent events):
 * every order's events as they happen, so a page shows each transition and compensation without
 * polling a row. A Kafka consumer in the gateway reads the domain topics and hands each event to the
 * feed; each open stream takes the events its caller may see: a customer their own orders', an
 * admin every order's (docs/security.md).
 *
 * The feed is for eyes, not for bookkeeping: the consumer's group is the gateway instance's own
 * (a fresh id per start, deleted at stop), it starts at the topics' end and commits nothing, so a
 * page sees what happens while it is open and reads the past through `GET /orders/{id}`. Several
 * gateway replicas each read every event, and each serves its own streams.
 */
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Kafka } from 'kafkajs';
import type { Caller } from '../platform/identity.js';
import { logger } from '../platform/logger.js';
import { fetchWaits } from '../platform/kafka.js';
import { consumerSpanAttributes } from '../platform/telemetry/messaging.js';
import { consumerGroupId } from '../platform/events/naming.js';
import type { OrderStatus } from '../platform/contracts/order.js';
import { statusOfOrderEvent, topics } from '../platform/events/catalog.js';
import { InvalidEventError, parseEvent, type CloudEvent } from '../platform/events/envelope.js';

/** One event as a stream carries it: the envelope's facts, the trace it belongs to, and its data. */
export interface LiveOrderEvent {
  id: string;
  type: string;
  orderId: string;
  customerId: string;
  time: string;
  /** The order's status after this event, for the order domain's events; other domains' leave it as it was. */
  status?: OrderStatus;
  /** The W3C trace id of the transition (from the event's `traceparent`), so the page can link the trace. */
  traceId?: string;
  data: Record<string, unknown>;
}

const HEARTBEAT_MS = 15_000;

export class OrderEventFeed {
  private readonly listeners = new Set<(event: LiveOrderEvent | 'closed') => void>();
  private markReading!: () => void;
  /** Settles once the feed's source reads the topics (its consumer has joined); streams say `ready` only then. */
  readonly reading = new Promise<void>((resolve) => (this.markReading = resolve));

  /** The source reads: from now on every event reaches the open streams. */
  sourceReading(): void {
    this.markReading();
  }

  /** Hands one event to every open stream (each filters for its caller). */
  publish(event: CloudEvent): void {
    const data = event.data as Record<string, unknown> & { orderId: string; customerId: string };
    const traceId = event.traceparent?.split('-')[1];
    const live: LiveOrderEvent = {
      id: event.id,
      type: event.type,
      orderId: data.orderId,
      customerId: data.customerId,
      time: event.time,
      ...(statusOfOrderEvent[event.type] ? { status: statusOfOrderEvent[event.type] } : {}),
      ...(traceId ? { traceId } : {}),
      data,
    };
    for (const listener of this.listeners) listener(live);
  }

  /** `listener` gets each event, then `'closed'` when the gateway stops. */
  subscribe(listener: (event: LiveOrderEvent | 'closed') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends every open stream (the gateway is stopping: an open stream would hold its HTTP server open). */
  close(): void {
    for (const listener of [...this.listeners]) listener('closed');
  }

  /** Open streams, for tests and the log. */
  get streams(): number {
    return this.listeners.size;
  }
}

/** Whether `caller` may see an event of this customer's: their own, or any for an admin. */
export const maySee = (caller: Caller, customerId: string): boolean => caller.role === 'admin' || caller.customerId === customerId;

/**
 * The SSE answer: a `ready` event first (the stream is subscribed; anything after it is live), then
 * one `order` event per event the caller may see, and a comment every 15 s so proxies keep it open.
 */
export function streamOrderEvents(c: Context, feed: OrderEventFeed): Response {
  const caller = c.get('caller');
  c.header('Cache-Control', 'no-store');
  // nginx and similar proxies buffer responses unless told not to; a buffered stream is not live.
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    const queue: LiveOrderEvent[] = [];
    let wake: (() => void) | undefined;
    let open = true;
    const unsubscribe = feed.subscribe((event) => {
      if (event === 'closed') open = false;
      else if (maySee(caller, event.customerId)) queue.push(event);
      else return;
      wake?.();
    });
    stream.onAbort(() => {
      open = false;
      unsubscribe();
      wake?.();
    });
    try {
      await feed.reading;
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ role: caller.role, customerId: caller.customerId }) });
      while (open) {
        const event = queue.shift();
        if (event) {
          await stream.writeSSE({ event: 'order', id: event.id, data: JSON.stringify(event) });
          continue;
        }
        const waited = await new Promise<'event' | 'idle'>((resolve) => {
          const timer = setTimeout(() => resolve('idle'), HEARTBEAT_MS);
          wake = () => {
            clearTimeout(timer);
            resolve('event');
          };
        });
        wake = undefined;
        if (waited === 'idle' && open) await stream.write(': keep-alive\n\n');
      }
    } finally {
      unsubscribe();
    }
  });
}

/**
 * Reads every domain topic from its end into `feed`, as a group of this gateway instance's own.
 * Records that are not valid events are skipped (the consumers that own them dead-letter them).
 * The feed is marked reading when the consumer has joined its group and holds its partitions.
 * Returns the stop: disconnect, then delete the group so instances leave none behind.
 */
export async function startLiveOrderFeed(kafka: Kafka, feed: OrderEventFeed): Promise<() => Promise<void>> {
  const log = logger('live-orders');
  const groupId = consumerGroupId(`gateway-live.${randomUUID()}`);
  // The domain consumers' fetch waits (platform/kafka.ts): they bound how often an idle feed asks,
  // how long a stop waits for the fetch in flight and, with a minimum size, how late the feed may be.
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, ...fetchWaits() });
  consumer.on(consumer.events.GROUP_JOIN, () => feed.sourceReading());
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topics), fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachMessage: ({ message, partition }) => {
      // The feed reads every event, so its spans join each order's trace: they carry the group and
      // partition like every other consumer's (the instrumentation's hook does not know them).
      trace.getActiveSpan()?.setAttributes(consumerSpanAttributes(groupId, partition));
      try {
        feed.publish(parseEvent(message.value));
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        log.debug({ err: error }, 'not an event; left to its consumers');
      }
      return Promise.resolve();
    },
  });
  log.info({ groupId }, 'live order feed reading the domain topics');
  return async () => {
    await consumer.disconnect();
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]);
    } catch (error) {
      log.warn({ err: error, groupId }, 'could not delete the live feed group; Kafka expires it');
    } finally {
      await admin.disconnect();
    }
  };
}
