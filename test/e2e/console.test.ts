/**
 * The web console in a real browser (Debian's Chromium, driven by playwright-core) against the
 * running estate, through the gateway at GATEWAY_URL (docs/console.md):
 *
 *   - a customer places an order from the shop and sees it reach COMPLETED on its timeline, every
 *     event of it in the trace the click started (the page's `traceparent`);
 *   - an admin sets the HTTP line's decline rate to 100 % with its slider, sees an order end
 *     PAYMENT_DECLINED with the reason, and puts the rate back;
 *   - an admin slows shipment scheduling with a fault switch, cancels an order from its timeline
 *     and sees CANCELLED with the compensations done.
 *
 * Switching the estate's payment scenario and faults would fail other tests' orders, so this file
 * runs on its own after the suite's parallel run (ORDERSAGA_BROWSER_TEST=1, set by `make test`;
 * by hand: `ORDERSAGA_BROWSER_TEST=1 npx ava test/e2e/console.test.ts`). Screenshots go to
 * CONSOLE_SCREENSHOT_DIR (default .state/console-screenshots; `docs` refreshes the README's).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { type Browser, chromium, type Page } from 'playwright-core';
import { demoCustomers } from '../../platform/contracts/demo-triggers.js';
import { eventually, gatewayUrl, stockTestProduct } from '../support/estate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = join(ROOT, process.env.CONSOLE_SCREENSHOT_DIR ?? '.state/console-screenshots');
const browserTest = process.env.ORDERSAGA_BROWSER_TEST === '1' ? test.serial : test.serial.skip;
const SAGA_MS = 60_000;

let browser: Browser | undefined;
test.before(async () => {
  if (process.env.ORDERSAGA_BROWSER_TEST !== '1') return;
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (make test does), or set CHROMIUM_PATH`);
  mkdirSync(screenshots, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
test.after.always(async () => {
  await browser?.close();
});

/** Errors the pages logged (a console.error, an uncaught exception), checked at the end of each test. */
const pageErrors = new Map<Page, string[]>();

/** A page of the console in `locale`, signed in as `who` (a demo customer's id, or 'admin') through the dev login. */
async function signedIn(t: ExecutionContext, who: string, locale = 'en-US'): Promise<Page> {
  const context = await browser!.newContext({ locale, viewport: { width: 1360, height: 900 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  pageErrors.set(page, problems);
  page.on('pageerror', (error) => problems.push(error.message));
  // A 404 the page expects (a saga not started yet) is logged by Chrome as a failed load: not an error of the page.
  page.on(
    'console',
    (message) => message.type() === 'error' && !/^Failed to load resource/.test(message.text()) && problems.push(message.text()),
  );
  await page.goto(`${gatewayUrl}/`);
  await page.locator('[data-field=who]').selectOption(who);
  await page.locator('[data-action=sign-in]').click();
  // The live feed is subscribed: from here on every event of an order reaches the page.
  await page.locator('[data-live=on]').waitFor({ timeout: 30_000 });
  return page;
}

/** Adds one of `sku` to the basket, chooses the line, and places the order; its id, and the trace id the click sent. */
async function placeOrder(page: Page, sku: string, channel: 'http' | 'tcp'): Promise<{ orderId: string; traceId: string }> {
  await page.locator(`tr[data-sku="${sku}"] [data-action=add]`).click();
  await page.locator(`input[name=channel][value=${channel}]`).check();
  const submitted = page.waitForRequest((request) => request.method() === 'POST' && new URL(request.url()).pathname === '/orders');
  const answered = page.waitForResponse(
    (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/orders',
  );
  await page.locator('[data-action=place-order]').click();
  const traceparent = (await submitted).headers().traceparent ?? '';
  const answer = await answered;
  if (answer.status() !== 202) throw new Error(`POST /orders answered ${answer.status()}: ${await answer.text()}`);
  const { orderId } = (await answer.json()) as { orderId: string };
  await page.locator(`[data-timeline="${orderId}"]`).waitFor();
  return { orderId, traceId: traceparent.split('-')[1] ?? '' };
}

const timelineStatus = (page: Page, orderId: string, status: string) =>
  page.locator(`[data-timeline="${orderId}"] [data-timeline-status="${status}"]`).waitFor({ timeout: SAGA_MS });

/** What a page logged as errors; none is expected. */
const loggedErrors = (page: Page) => pageErrors.get(page) ?? [];

/** Undoes a switch the test made, whatever became of the test; a failed undo fails the test. */
function restoreAfter(t: ExecutionContext, page: Page, method: string, path: string): void {
  t.teardown(async () => {
    const { status } = await asAdminOf(page, method, path);
    if (status !== 200) throw new Error(`${method} ${path} answered ${status}: the estate is left switched; undo it by hand`);
  });
}

/** Calls the gateway as the admin of a page's session (the restores must not depend on the page). */
async function asAdminOf(page: Page, method: string, path: string): Promise<Response> {
  // the page's session, as the console keeps it (console/src/api.ts); read as a string expression,
  // so this Node file needs no DOM types
  const session = await page.evaluate<string | null>("sessionStorage.getItem('ordersaga.session')");
  const { token } = JSON.parse(session ?? '{}') as { token?: string };
  return fetch(`${gatewayUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
}

browserTest(
  'a customer places an order from the shop and sees it reach COMPLETED on its timeline, in the trace the click started',
  async (t) => {
    const sku = await stockTestProduct(20, 30_000);
    const customer = demoCustomers.find((candidate) => candidate.locale === 'en')!.customerId;
    const page = await signedIn(t, customer);
    await page.locator(`tr[data-sku="${sku}"]`).waitFor();
    await page.locator(`tr[data-sku="${sku}"] [data-action=add]`).click();
    await page.screenshot({ path: join(screenshots, 'console-shop.png') });
    // the basket holds one; placeOrder adds a second
    const { orderId, traceId } = await placeOrder(page, sku, 'http');
    t.regex(traceId, /^[0-9a-f]{32}$/);

    await timelineStatus(page, orderId, 'COMPLETED');
    const timeline = page.locator(`[data-timeline="${orderId}"]`);
    t.deepEqual(await timeline.locator('.steps b').allTextContents(), [
      'PENDING',
      'STOCK_RESERVED',
      'PAYMENT_AUTHORIZED',
      'SHIPMENT_SCHEDULED',
      'COMPLETED',
    ]);
    t.is(await page.locator(`tr[data-order="${orderId}"] [data-status]`).getAttribute('data-status'), 'COMPLETED', 'the live list row too');
    t.regex((await timeline.locator('[data-link=workflow]').getAttribute('href')) ?? '', new RegExp(`/workflows/order-${orderId}$`));
    // Every event of the order arrived over the live feed, and each carries the click's trace id.
    await timeline.locator('.events li', { hasText: 'order.v1.completed' }).waitFor();
    const eventTraces = await Promise.all((await timeline.locator('.events li').all()).map((item) => item.getAttribute('data-trace')));
    t.true(eventTraces.length >= 5, `events seen: ${eventTraces.length}`);
    t.deepEqual([...new Set(eventTraces)], [traceId], 'one trace from the click to the last event');
    await page.screenshot({ path: join(screenshots, 'console-order-timeline.png'), fullPage: true });
    t.deepEqual(loggedErrors(page), []);
  },
);

browserTest('an admin sets the decline rate to 100 %, sees PAYMENT_DECLINED with its reason, and puts the rate back', async (t) => {
  const sku = await stockTestProduct(20, 30_000);
  const page = await signedIn(t, 'admin');
  restoreAfter(t, page, 'DELETE', '/operations/payment-scenarios');
  const slider = page.locator('[data-channel=http] input[data-field=declineRate]');
  const shown = page.locator('[data-channel=http] output[data-value=declineRate]');
  await slider.fill('100');
  await shown.filter({ hasText: /^100%$/ }).waitFor();
  // a few KPI samples, so the chart over time has a line to show
  await page.locator('[data-section=kpis]:is([data-samples="3"], [data-samples="4"], [data-samples="5"])').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(screenshots, 'console-operations.png'), fullPage: true });

  await page.locator('[data-tab=shop]').click();
  await page.locator(`tr[data-sku="${sku}"]`).waitFor();
  const { orderId } = await placeOrder(page, sku, 'http');
  await timelineStatus(page, orderId, 'PAYMENT_DECLINED');
  t.regex((await page.locator(`[data-timeline="${orderId}"] [data-reason]`).textContent()) ?? '', /declin/i);
  const inventory = (await (await asAdminOf(page, 'GET', '/inventory')).json()) as { items: { sku: string; available: number }[] };
  const stock = inventory.items.find((item) => item.sku === sku)?.available;
  t.is(stock, 20, 'the declined order released its stock');

  await page.locator('[data-tab=operations]').click();
  await page.locator('[data-action=reset-scenarios]').click();
  await shown.filter({ hasText: /^0%$/ }).waitFor();
  t.is(await shown.textContent(), '0%');
  t.deepEqual(loggedErrors(page), []);
});

browserTest('an order cancelled from its timeline ends CANCELLED, its compensations done', async (t) => {
  const sku = await stockTestProduct(20, 30_000);
  const page = await signedIn(t, 'admin', 'ko-KR');
  restoreAfter(t, page, 'DELETE', '/operations/faults/fulfillment');
  // Shipment scheduling held for a while, so the order is still cancellable when the button is pressed.
  const scheduleDelay = page.locator('[data-section=faults] .fault[data-activity=scheduleShipment] input[type=number]');
  await scheduleDelay.fill('8000');
  await scheduleDelay.press('Enter');
  await scheduleDelay.blur();
  // the fault in force, as the fulfillment worker answered it
  await page.locator('[data-section=faults] .fault[data-activity=scheduleShipment][data-latency="8000"]').waitFor();

  await page.locator('[data-tab=shop]').click();
  await page.locator(`tr[data-sku="${sku}"]`).waitFor();
  await page.screenshot({ path: join(screenshots, 'console-shop-ko.png') });
  const { orderId } = await placeOrder(page, sku, 'tcp');
  await page.locator(`[data-timeline="${orderId}"] [data-action=cancel]`).click();
  await timelineStatus(page, orderId, 'CANCELLED');
  // One condition, not two waits: the compensations reach the timeline one event at a time, so
  // "one shown" then "none still running" could pass with the first done and the second not yet shown.
  const compensations = page.locator(`[data-timeline="${orderId}"] [data-compensation]`);
  const running = page.locator(`[data-timeline="${orderId}"] [data-compensation]:not(.done)`);
  await eventually(
    'two compensations or more on the timeline, every one done',
    async () => ((await compensations.count()) >= 2 && (await running.count()) === 0 ? true : undefined),
    SAGA_MS,
  );
  t.true((await compensations.count()) >= 2, 'stock released and payment voided at least');
  t.deepEqual(loggedErrors(page), []);
});
