/**
 * The estate's Temporal namespace, made ready: registered if missing, with every custom search
 * attribute the saga sets (platform/contracts/search-attributes.ts). `npm run setup` runs it for the
 * estate's namespace, so a dev server started before an attribute was added (or a self-hosted
 * cluster) gets it without a restart; infra/programs/setup/test-estate.ts runs it for the test namespace.
 * An attribute the saga upserts but the namespace lacks would fail its workflow tasks.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import type { Environment } from '../../../platform/config.js';
import { temporalConnectionSettings } from '../../../platform/connections.js';
import { searchAttributeRegistrations } from '../../../platform/contracts/search-attributes.js';

/** temporal.api.enums.v1.IndexedValueType, for the types search-attributes.ts registers. */
const indexedValueTypes: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };

async function retry<T>(what: string, attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Registers the namespace if it is missing, adds the custom search attributes the estate's
 * namespace has (platform/contracts/search-attributes.ts), and waits until a visibility query in it
 * works, which is what a workflow start with search attributes needs.
 */
export async function prepareNamespace(env: Environment, namespace: string): Promise<{ registered: boolean; added: string[] }> {
  const connection = await Connection.connect(temporalConnectionSettings(env));
  try {
    const service = connection.workflowService;
    let registered = false;
    try {
      await service.describeNamespace({ namespace });
    } catch {
      await service
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
        .catch((error: { details?: string }) => {
          if (!/already exists/i.test(error.details ?? '')) throw error;
        });
      registered = true;
    }
    await retry(`namespace ${namespace} visible`, () => service.describeNamespace({ namespace }));
    const wanted = Object.entries(searchAttributeRegistrations);
    const existing = await retry('list search attributes', () => connection.operatorService.listSearchAttributes({ namespace }));
    const missing = wanted.filter(([name]) => !(name in (existing.customAttributes ?? {})));
    if (missing.length > 0) {
      await retry('add search attributes', () =>
        connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedValueTypes[type]!])),
        }),
      );
    }
    const names = wanted.map(([name]) => name);
    await retry(`search attributes usable in ${namespace}`, async () => {
      // A query over every custom attribute goes through the frontend's namespace and attribute caches.
      await service.countWorkflowExecutions({ namespace, query: names.map((name) => `${name} IS NULL`).join(' OR ') });
    });
    return { registered, added: missing.map(([name]) => name) };
  } finally {
    await connection.close();
  }
}
