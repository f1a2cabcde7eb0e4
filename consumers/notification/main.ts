/** The notification service: consumes every domain topic into customer notifications, and lists them. */
import { config } from '../../platform/config.js';
import { openDatabase } from '../../platform/db.js';
import { consumerGroupId } from '../../platform/events/naming.js';
import { databaseReady, kafkaConsumerRunning, mountHealth } from '../../platform/health.js';
import { closeHttpServer, startHttpServer } from '../../platform/http.js';
import { kafkaClient, startEventConsumer } from '../../platform/kafka.js';
import { runService } from '../../platform/service.js';
import { createNotificationApi } from './api.js';
import { NotificationStore, recordNotification } from './store.js';

await runService('notification', async () => {
  const db = openDatabase(config().NOTIFICATION_DATABASE_URL, 'notifications');
  const consumer = await startEventConsumer({
    kafka: kafkaClient('notification'),
    groupId: consumerGroupId('notification'),
    database: db,
    handle: recordNotification,
  });
  const app = mountHealth(createNotificationApi({ db, store: new NotificationStore(db) }), [databaseReady(db), kafkaConsumerRunning(consumer)]);
  const server = await startHttpServer(app, config().NOTIFICATION_PORT, 'notification API');
  return [() => db.end(), () => consumer.disconnect(), () => closeHttpServer(server)];
});
