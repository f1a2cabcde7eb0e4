/**
 * `npm run setup`: what the estate needs before its services start — every service's schema
 * migrations, every Kafka topic, and the Temporal namespace's search attributes. Idempotent;
 * `make up` and the tests run it each time.
 */
import { config } from '../../../platform/config.js';
import { ensureTopics, kafkaClient } from '../../../platform/kafka.js';
import { migrateService, serviceDatabases } from './service-databases.js';
import { prepareNamespace } from './temporal-namespace.js';

const started = Date.now();
await Promise.all(
  serviceDatabases.map(async ({ service }) => {
    const applied = await migrateService(service);
    console.log(`[setup] migrations ${service}: ${applied.length > 0 ? applied.join(', ') : 'up to date'}`);
  }),
);
const created = await ensureTopics(kafkaClient('setup'));
console.log(`[setup] topics: ${created.length > 0 ? `created ${created.join(', ')}` : 'all present'}`);
const env = config();
try {
  const namespace = await prepareNamespace(env, env.TEMPORAL_NAMESPACE);
  const added = namespace.added.length > 0 ? `, search attributes added: ${namespace.added.join(', ')}` : ', search attributes present';
  console.log(`[setup] namespace ${env.TEMPORAL_NAMESPACE}: ${namespace.registered ? 'registered' : 'present'}${added}`);
} catch (error) {
  // Temporal Cloud manages namespaces and attributes through its own API; say what to do, do not fail.
  console.warn(
    `[setup] WARNING: could not prepare namespace ${env.TEMPORAL_NAMESPACE} (${(error as Error).message}); ` +
      'register the search attributes in platform/contracts/search-attributes.ts with `temporal operator search-attribute create`',
  );
}
console.log(`[setup] done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
