/** `npm run migrate [service...]`: applies every service's pending schema migrations. */
import { migrateService, serviceDatabases } from './service-databases.js';

const wanted = process.argv.slice(2);
const services = wanted.length > 0 ? wanted : serviceDatabases.map((entry) => entry.service);
for (const service of services) {
  const applied = await migrateService(service);
  console.log(`[migrate] ${service}: ${applied.length > 0 ? applied.join(', ') : 'up to date'}`);
}
