/**
 * Writes the JSON Schema of every event type to platform/events/schemas/, from the zod catalogue.
 * Non-TypeScript consumers (and reviewers) read these files; a unit test fails when they drift.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { schemaDocuments, schemasDirectory } from './json-schemas.js';

mkdirSync(schemasDirectory, { recursive: true });
for (const [type, document] of Object.entries(schemaDocuments())) {
  writeFileSync(`${schemasDirectory}/${type}.json`, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${type}.json`);
}
