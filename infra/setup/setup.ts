/**
 * `npm run setup`: what the estate needs before its services start — every service's schema
 * migrations and every Kafka topic. Idempotent; `make up` and the tests run it each time.
 */
import { ensureTopics, kafkaClient } from '../../platform/kafka.js';
import { migrateService, serviceDatabases } from '../../platform/migrations.js';

const started = Date.now();
await Promise.all(
  serviceDatabases.map(async ({ service }) => {
    const applied = await migrateService(service);
    console.log(`[setup] migrations ${service}: ${applied.length > 0 ? applied.join(', ') : 'up to date'}`);
  }),
);
const created = await ensureTopics(kafkaClient('setup'));
console.log(`[setup] topics: ${created.length > 0 ? `created ${created.join(', ')}` : 'all present'}`);
console.log(`[setup] done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
