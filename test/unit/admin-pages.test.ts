/**
 * The admin listings' one handler (adminListing): a bad page query answers 400 naming the
 * parameter, a full page carries `next`, the last page has none, and the filter reaches the read.
 */
import test from 'ava';
import { Hono } from 'hono';
import { adminListing, type PageQuery } from '../../platform/admin-pages.js';

const skus = ['KB-001', 'KB-002', 'KB-003'];

function listing() {
  const asked: PageQuery[] = [];
  const app = new Hono().get(
    '/admin/products',
    adminListing({
      name: 'products',
      key: 'sku',
      read: async (query) => {
        asked.push(query);
        const rows = skus.filter((sku) => (query.after === null || sku > query.after) && (query.only === null || query.only.includes(sku)));
        return rows.slice(0, query.limit).map((sku) => ({ sku }));
      },
      keyOf: (row) => row.sku,
    }),
  );
  return { app, asked };
}

test('a full page carries the key to continue from; the last page has none', async (t) => {
  const { app } = listing();
  const first = await app.request('/admin/products?limit=2');
  t.deepEqual(await first.json(), { products: [{ sku: 'KB-001' }, { sku: 'KB-002' }], next: 'KB-002' });
  const last = await app.request('/admin/products?limit=2&after=KB-002');
  t.deepEqual(await last.json(), { products: [{ sku: 'KB-003' }] });
});

test('the filter is read from the key’s own parameter', async (t) => {
  const { app, asked } = listing();
  const answer = await app.request('/admin/products?sku=KB-003,KB-001');
  t.deepEqual(await answer.json(), { products: [{ sku: 'KB-001' }, { sku: 'KB-003' }] });
  t.deepEqual(asked[0]?.only, ['KB-003', 'KB-001']);
});

test('a bad query answers 400 naming the parameter, and reads nothing', async (t) => {
  const { app, asked } = listing();
  const answer = await app.request('/admin/products?sku=not a sku');
  t.is(answer.status, 400);
  t.regex(await answer.text(), /sku/);
  t.is((await app.request('/admin/products?limit=0')).status, 400);
  t.deepEqual(asked, []);
});
