/** The notification service: consumes every domain topic into customer notifications, delivers them (delivery.ts), and lists them. */
import { config } from '../../platform/config.js';
import { runConsumerService } from '../../platform/consumer-service.js';
import { createNotificationApi } from './api.js';
import { deliverySettings, NotificationDelivery } from './delivery.js';
import { configuredProviders } from './providers.js';
import { NotificationStore, recordNotifications } from './store.js';

const delivery = new NotificationDelivery(deliverySettings(config()), configuredProviders(config()));

await runConsumerService({
  service: 'notification',
  databaseUrl: config().NOTIFICATION_DATABASE_URL,
  databaseName: 'notifications',
  port: config().NOTIFICATION_PORT,
  handle: recordNotifications(() => delivery.wake()),
  alongside: (db) => delivery.start(db),
  api: (db) => createNotificationApi({ db, store: new NotificationStore(db) }),
});
