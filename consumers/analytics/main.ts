/** The analytics service: consumes every domain topic into KPIs, serves them over HTTP, and exports them as metrics. */
import { config } from '../../platform/config.js';
import { runConsumerService } from '../../platform/consumer-service.js';
import { createAnalyticsApi } from './api.js';
import { observeDeclineRatio } from './kpi-metrics.js';
import { projectEvent } from './projector.js';

await runConsumerService({
  service: 'analytics',
  databaseUrl: config().ANALYTICS_DATABASE_URL,
  databaseName: 'analytics',
  port: config().ANALYTICS_PORT,
  handle: projectEvent,
  api: (db) => {
    // The KPIs over OTLP too (consumers/analytics/kpi-metrics.ts); the ratio is read from this database.
    observeDeclineRatio(db);
    return createAnalyticsApi(db);
  },
});
