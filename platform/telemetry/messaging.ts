/**
 * Kafka spans with the messaging semantic conventions. instrumentation-kafkajs 0.7 (the release of
 * our OpenTelemetry line) names spans after the topic and sets only the oldest attributes
 * (`messaging.system`, `messaging.destination`, `messaging.operation`); its hooks add the current ones:
 * span names `send <topic>` / `process <topic>`, `messaging.destination.name`,
 * `messaging.operation.type`/`.name`, the message key and id, the offset, and the CloudEvents id
 * and type of our records (`cloudevents.event_id`, `cloudevents.event_type`). The consumer's group
 * and partition are not known to the hook; `consumerSpanAttributes` gives them to the consumer loop
 * (platform/kafka.ts), which sets them on its active span.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import type { KafkajsMessage, MessageInfo } from '@opentelemetry/instrumentation-kafkajs';

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

function headerText(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

function keyText(key: KafkajsMessage['key']): string | undefined {
  if (key === null || key === undefined) return undefined;
  return typeof key === 'string' ? key : key.toString('utf8');
}

function messageAttributes(topic: string, message: KafkajsMessage, operation: 'send' | 'process'): Attributes {
  const attributes: Attributes = {
    'messaging.destination.name': topic,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
  };
  const key = keyText(message.key);
  if (key !== undefined) attributes['messaging.kafka.message.key'] = key;
  // Our records carry the CloudEvents id and type in `ce_*` headers (platform/kafka.ts).
  const id = headerText(message.headers?.ce_id);
  if (id !== undefined) {
    attributes['messaging.message.id'] = id;
    attributes['cloudevents.event_id'] = id;
  }
  const type = headerText(message.headers?.ce_type);
  if (type !== undefined) attributes['cloudevents.event_type'] = type;
  return attributes;
}

export function kafkaProducerHook(span: Span, { topic, message }: MessageInfo): void {
  span.updateName(`send ${topic}`);
  span.setAttributes(messageAttributes(topic, message, 'send'));
}

export function kafkaConsumerHook(span: Span, { topic, message }: MessageInfo): void {
  span.updateName(`process ${topic}`);
  const attributes = messageAttributes(topic, message, 'process');
  const offset = (message as KafkajsMessage & { offset?: string }).offset;
  if (offset !== undefined) attributes['messaging.kafka.offset'] = Number(offset);
  span.setAttributes(attributes);
}

/** What only the consumer loop knows: its group and the record's partition. */
export function consumerSpanAttributes(group: string, partition: number): Attributes {
  return {
    'messaging.consumer.group.name': group,
    // the pre-1.27 name, still what some backends read
    'messaging.kafka.consumer.group': group,
    'messaging.destination.partition.id': String(partition),
  };
}
