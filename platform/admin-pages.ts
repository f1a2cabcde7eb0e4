/**
 * The one shape of the services' read-only admin listings (`GET /admin/...`), which the auditor
 * (infra/programs/checks/) walks to reconcile the estate: keyset pages in key order, `?after=<last key>`
 * `&limit=<n>`, or a filter `?orderId=a,b` / `?sku=A,B` for a scoped audit. A page that comes back
 * full carries `next` (the key to pass as `after`); the last page has none. Keyset rather than
 * offset, so rows inserted while the auditor walks cannot shift a page and hide a row.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { SKU_PATTERN } from './contracts/order.js';
import { zodProblem } from './validation.js';

export const ADMIN_PAGE_DEFAULT_LIMIT = 500;
export const ADMIN_PAGE_MAX_LIMIT = 2000;
/** Ids per filtered request: a URL of 100 UUIDs (~3.7 kB) stays well inside Node's 16 kB header limit. */
export const ADMIN_FILTER_MAX_IDS = 100;

const keySchemas = { orderId: z.uuid(), sku: z.string().regex(SKU_PATTERN, 'must be a SKU') } as const;
export type PageKey = keyof typeof keySchemas;

export interface PageQuery {
  after: string | null;
  limit: number;
  /** Only these keys (a scoped audit); null = every row. */
  only: string[] | null;
}

/**
 * A listing keyed by text that was never validated as an order id (an inbox's CloudEvents
 * `subject`) passes `textKeys`, so a page ending on an odd key can still be followed.
 */
function pageQuerySchema(key: PageKey, textKeys: boolean) {
  return z.object({
    after: (textKeys ? z.string().min(1).max(200) : keySchemas[key]).optional(),
    limit: z.coerce.number().int().min(1).max(ADMIN_PAGE_MAX_LIMIT).default(ADMIN_PAGE_DEFAULT_LIMIT),
    only: z
      .string()
      .transform((raw) => raw.split(',').filter(Boolean))
      .pipe(z.array(keySchemas[key]).min(1).max(ADMIN_FILTER_MAX_IDS))
      .optional(),
  });
}

/** Reads `after`, `limit` and the `orderId`/`sku` filter; a bad value answers 400 naming it. */
export function parsePageQuery(
  c: Context,
  key: PageKey,
  options: { textKeys?: boolean } = {},
): { ok: true; query: PageQuery } | { ok: false; response: Response } {
  const { [key]: only, ...rest } = c.req.query();
  const parsed = pageQuerySchema(key, options.textKeys ?? false).safeParse({ ...rest, only });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) if (issue.path[0] === 'only') issue.path[0] = key; // name the parameter as sent
    return { ok: false, response: zodProblem(c, parsed.error) };
  }
  return { ok: true, query: { after: parsed.data.after ?? null, limit: parsed.data.limit, only: parsed.data.only ?? null } };
}

/** `{ [name]: rows, next? }`: `next` only when the page is full, so the walk ends on a short page. */
export function pageOf<T>(name: string, rows: T[], query: PageQuery, keyOf: (row: T) => string): Record<string, unknown> {
  const last = rows.at(-1);
  return rows.length === query.limit && last !== undefined ? { [name]: rows, next: keyOf(last) } : { [name]: rows };
}

/**
 * The handler of a plain admin listing: reads the page query (a bad one answers 400 naming it),
 * reads that page's rows, and answers `{ [name]: rows, next? }` (pageOf).
 */
export function adminListing<T>(listing: {
  name: string;
  key: PageKey;
  /** See parsePageQuery. */
  textKeys?: boolean;
  read: (query: PageQuery) => Promise<T[]>;
  keyOf: (row: T) => string;
}): (c: Context) => Promise<Response> {
  return async (c) => {
    const page = parsePageQuery(c, listing.key, { textKeys: listing.textKeys ?? false });
    if (!page.ok) return page.response;
    return c.json(pageOf(listing.name, await listing.read(page.query), page.query, listing.keyOf));
  };
}
