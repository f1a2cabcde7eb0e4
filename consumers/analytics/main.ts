/** The analytics service: consumes every domain topic into KPIs, and serves them over HTTP. */
import { config } from '../../platform/config.js';
import { openDatabase } from '../../platform/db.js';
import { consumerGroupId } from '../../platform/events/naming.js';
import { databaseReady, kafkaConsumerRunning, mountHealth } from '../../platform/health.js';
import { closeHttpServer, startHttpServer } from '../../platform/http.js';
import { kafkaClient, startEventConsumer } from '../../platform/kafka.js';
import { runService } from '../../platform/service.js';
import { createAnalyticsApi } from './api.js';
import { projectEvent } from './projector.js';

await runService('analytics', async () => {
  const db = openDatabase(config().ANALYTICS_DATABASE_URL, 'analytics');
  const consumer = await startEventConsumer({ kafka: kafkaClient('analytics'), groupId: consumerGroupId('analytics'), database: db, handle: projectEvent });
  const app = mountHealth(createAnalyticsApi(db), [databaseReady(db), kafkaConsumerRunning(consumer)]);
  const server = await startHttpServer(app, config().ANALYTICS_PORT, 'analytics API');
  return [() => db.end(), () => consumer.disconnect(), () => closeHttpServer(server)];
});
