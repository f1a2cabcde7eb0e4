/** The notification service: consumes every domain topic into customer notifications, and lists them. */
import { config } from '../../platform/config.js';
import { runConsumerService } from '../../platform/consumer-service.js';
import { createNotificationApi } from './api.js';
import { NotificationStore, recordNotification } from './store.js';

await runConsumerService({
  service: 'notification',
  databaseUrl: config().NOTIFICATION_DATABASE_URL,
  databaseName: 'notifications',
  port: config().NOTIFICATION_PORT,
  handle: recordNotification,
  api: (db) => createNotificationApi({ db, store: new NotificationStore(db) }),
});
