import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { eventSchemas, eventTypes } from './catalog.js';
import { schemaUriFor } from './envelope.js';

export const schemasDirectory = fileURLToPath(new URL('./schemas', import.meta.url));

/** The JSON Schema document (draft 2020-12) of each event type's `data`, keyed by type. */
export function schemaDocuments(): Record<string, object> {
  return Object.fromEntries(
    eventTypes.map((type) => [
      type,
      { $id: schemaUriFor(type), title: type, ...z.toJSONSchema(eventSchemas[type], { target: 'draft-2020-12' }) },
    ]),
  );
}
