/**
 * The names an estate gives its Kafka resources: topics and consumer groups. One identity prefix
 * decides them (KAFKA_TOPIC_PREFIX, KAFKA_CONSUMER_GROUP_PREFIX in platform/config.ts), so two
 * estates can share one broker without reading each other's events: the user's (`ordersaga.*`,
 * groups `analytics`, `notification`) and the one `make test` runs its services under
 * (`ordersaga-test.*`, groups `ordersaga-test.analytics`, …; infra/programs/setup/test-estate.ts).
 */
import { config } from '../config.js';

/** `<prefix>.<name>`, e.g. `ordersaga.order.events`. */
export function topicName(name: string): string {
  return `${config().KAFKA_TOPIC_PREFIX}.${name}`;
}

/** The consumer group of a consuming service, e.g. `analytics` (or `ordersaga-test.analytics`). */
export function consumerGroupId(service: string): string {
  return `${config().KAFKA_CONSUMER_GROUP_PREFIX}${service}`;
}
