/** The analytics service: consumes every domain topic into KPIs, and serves them over HTTP. */
import { config } from '../../platform/config.js';
import { runConsumerService } from '../../platform/consumer-service.js';
import { createAnalyticsApi } from './api.js';
import { projectEvent } from './projector.js';

await runConsumerService({
  service: 'analytics',
  databaseUrl: config().ANALYTICS_DATABASE_URL,
  databaseName: 'analytics',
  port: config().ANALYTICS_PORT,
  handle: projectEvent,
  api: (db) => createAnalyticsApi(db),
});
