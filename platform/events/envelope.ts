/**
 * CloudEvents 1.0 envelope in structured mode (the whole event is the Kafka record's JSON value,
 * `content-type: application/cloudevents+json`). Structured mode keeps an event readable as one
 * document in any Kafka tool; the trace context also travels in the record headers, where the
 * kafkajs instrumentation puts and reads it.
 */
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import { type EventData, type EventType, eventSchemas, isEventType } from './catalog.js';

/** Namespace for deterministic event ids (a fixed, random UUID chosen for ordersaga). */
const EVENT_ID_NAMESPACE = '6f1c3c1e-7c55-4d2f-9a4e-2b7f5d0f3a11';
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

export interface CloudEvent<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  traceparent?: string;
  data: EventData<T>;
}

/**
 * The same transition of the same order always gets the same id, so a publish retried by Temporal
 * is recognised by consumers as the event they already have. `discriminator` separates transitions
 * that can legitimately happen more than once for an order (none today).
 */
export function eventIdFor(type: EventType, orderId: string, discriminator = ''): string {
  return uuidv5(`${type}|${orderId}|${discriminator}`, EVENT_ID_NAMESPACE);
}

export function schemaUriFor(type: EventType): string {
  return `https://ordersaga.dev/schemas/${type}.json`;
}

export function buildEvent<T extends EventType>(args: {
  type: T;
  source: string;
  data: EventData<T>;
  time?: Date;
  traceparent?: string;
  discriminator?: string;
}): CloudEvent<T> {
  const data = eventSchemas[args.type].parse(args.data) as EventData<T>;
  return {
    specversion: '1.0',
    id: eventIdFor(args.type, data.orderId, args.discriminator),
    source: args.source,
    type: args.type,
    subject: data.orderId,
    time: (args.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    dataschema: schemaUriFor(args.type),
    ...(args.traceparent ? { traceparent: args.traceparent } : {}),
    data,
  };
}

const envelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().min(1),
  time: z.string().datetime({ offset: true }),
  datacontenttype: z.literal('application/json').optional(),
  dataschema: z.string().optional(),
  traceparent: z.string().optional(),
  data: z.unknown(),
});

/** Why a record could not be turned into an event; consumers dead-letter it with this reason. */
export class InvalidEventError extends Error {
  constructor(
    readonly kind: 'malformed-json' | 'bad-envelope' | 'unknown-type' | 'schema-violation' | 'subject-mismatch',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Parses and validates a record value; throws `InvalidEventError` saying what is wrong. */
export function parseEvent(value: Buffer | string | null): CloudEvent {
  if (value === null) throw new InvalidEventError('malformed-json', 'record has no value');
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (error) {
    throw new InvalidEventError('malformed-json', `record value is not JSON: ${(error as Error).message}`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new InvalidEventError('bad-envelope', `not a CloudEvents 1.0 envelope: ${z.prettifyError(envelope.error)}`);
  }
  const { type } = envelope.data;
  if (!isEventType(type)) throw new InvalidEventError('unknown-type', `unknown event type ${JSON.stringify(type)}`);
  const data = eventSchemas[type].safeParse(envelope.data.data);
  if (!data.success) {
    throw new InvalidEventError('schema-violation', `${type} data: ${z.prettifyError(data.error)}`);
  }
  // The subject is the record's key and the consumers' inbox column; the effect is keyed by the
  // data's order id. Were they to differ, an order's events would no longer stay in order.
  if (envelope.data.subject !== data.data.orderId) {
    throw new InvalidEventError(
      'subject-mismatch',
      `${type} subject ${JSON.stringify(envelope.data.subject)} is not its data's orderId ${JSON.stringify(data.data.orderId)}`,
    );
  }
  return { ...envelope.data, datacontenttype: 'application/json', dataschema: schemaUriFor(type), type, data: data.data };
}
