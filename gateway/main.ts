/**
 * The gateway process: the public REST edge on GATEWAY_PORT (8080), with the web console. Its one
 * Kafka connection feeds the console's live order list (gateway/live-orders.ts) and reaches the
 * dead-letter queue for the admins' replay (gateway/operations.ts). The HTTP edge does not wait
 * for Kafka: orders are taken while the feed joins.
 */
import { config } from '../platform/config.js';
import { closeHttpServer, startHttpServer } from '../platform/http.js';
import { kafkaClient } from '../platform/kafka.js';
import { logger } from '../platform/logger.js';
import { runService } from '../platform/service.js';
import { createGatewayApp } from './app.js';
import { OrderEventFeed, startLiveOrderFeed } from './live-orders.js';
import { kafkaDeadLetterDesk } from './operations.js';

await runService('gateway', async () => {
  const kafka = kafkaClient('gateway');
  const feed = new OrderEventFeed();
  const server = await startHttpServer(
    createGatewayApp({ ...config(), feed, deadLetters: kafkaDeadLetterDesk(kafka) }),
    config().GATEWAY_PORT,
    'gateway',
  );
  const feedStarted = startLiveOrderFeed(kafka, feed).catch((error: unknown) => {
    logger('gateway').error({ err: error }, 'the live order feed did not start; /live/orders streams stay silent');
    return undefined;
  });
  // Stopped in reverse: the live streams end first (an open one would hold the server), then Kafka.
  return [
    async () => {
      await (
        await feedStarted
      )?.();
    },
    () => closeHttpServer(server),
    () => {
      feed.close();
      return Promise.resolve();
    },
  ];
});
