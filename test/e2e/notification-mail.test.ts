/**
 * End to end: an order that completes through the gateway ends in the customer's mailbox. Its
 * confirmation e-mail is read back through Mailpit's REST API (the dev stack's mail catcher; `make
 * test` starts it), in the customer's language: Korean for a customer who never set a preference,
 * English for one who chose it. The notification service's own listing says each was sent.
 */
import test from 'ava';
import { config } from '../../platform/config.js';
import { asCustomer, eventually, stockTestProduct, submitOrder, waitForStatus } from '../support/estate.js';
import { uniqueCustomerId } from '../support/fixtures.js';
import { mailpitVersion, waitForMessage } from '../support/mailpit.js';

interface ListedNotification {
  eventType: string;
  channel: string;
  recipient: string;
  delivery: { state: string; attempts: number; sentAt: string | null };
}

const seoul = { name: '김지우', line1: '세종대로 110', city: '서울', postalCode: '04524', country: 'KR' };

/** Submits an order of 2 × 30,000 won for the customer and waits for COMPLETED; returns its id. */
async function completedOrder(customerId: string): Promise<string> {
  const sku = await stockTestProduct(10, 30_000);
  const submitted = await submitOrder({
    customerId,
    items: [{ sku, quantity: 2 }],
    payment: { channel: 'http', cardNumber: '4242 4242 4242 4242' },
    shippingAddress: seoul,
  });
  if (submitted.status !== 202) throw new Error(`order not accepted: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const orderId = (submitted.body as { orderId: string }).orderId;
  const order = (await waitForStatus(orderId, (status) => ['COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED'].includes(status))) as {
    status: string;
  };
  if (order.status !== 'COMPLETED') throw new Error(`order ${orderId} ended ${order.status}, not COMPLETED`);
  return orderId;
}

/** The customer's completion notification once the service reports it sent. */
async function sentCompletion(customerId: string, orderId: string): Promise<ListedNotification> {
  return eventually(`the completion notification of ${orderId} marked sent`, async () => {
    const response = await fetch(`http://localhost:${config().GATEWAY_PORT}/notifications?orderId=${orderId}`, {
      headers: await asCustomer(customerId),
    });
    if (!response.ok) return undefined;
    const { notifications } = (await response.json()) as { notifications: ListedNotification[] };
    const completion = notifications.find((notification) => notification.eventType === 'order.v1.completed');
    return completion?.delivery.state === 'sent' ? completion : undefined;
  });
}

test.before(async () => {
  // Fails here, naming what is missing, when Mailpit is not running: make test starts it.
  await mailpitVersion();
});

test('a completed order’s confirmation e-mail is in the mail catcher in Korean, for a customer who never chose a language', async (t) => {
  const customerId = uniqueCustomerId('e2e-mail-ko');
  const orderId = await completedOrder(customerId);
  const orderRef = orderId.slice(0, 8).toUpperCase();
  const address = `${customerId}@customers.ordersaga.dev`;

  const mail = await waitForMessage(address, '[ordersaga] 주문 완료');
  t.regex(mail.Text, new RegExp(`주문 ${orderRef}이\\(가\\) 완료되었습니다`));
  t.regex(mail.Text, /^안녕하세요, 고객님\./);
  t.true(mail.HTML.includes('<html lang="ko">'), 'an HTML part, in Korean');
  t.true(mail.HTML.includes(`주문 ${orderRef}이(가) 완료되었습니다`));
  t.true(mail.Tags.includes('order.v1.completed') && mail.Tags.includes('ko'));

  const listed = await sentCompletion(customerId, orderId);
  t.like(listed, { channel: 'email', recipient: address, delivery: { state: 'sent' } });
  t.truthy(listed.delivery.sentAt);
});

test('a customer who chose English gets the confirmation in English', async (t) => {
  const customerId = uniqueCustomerId('e2e-mail-en');
  const address = `${customerId}@example.com`;
  const preference = await fetch(`${config().NOTIFICATION_URL}/preferences/${encodeURIComponent(customerId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'email', locale: 'en', recipient: address }),
  });
  t.is(preference.status, 200);
  const orderId = await completedOrder(customerId);
  const orderRef = orderId.slice(0, 8).toUpperCase();

  const mail = await waitForMessage(address, '[ordersaga] Order complete');
  t.regex(mail.Text, new RegExp(`Order ${orderRef} is complete`));
  t.regex(mail.Text, /^Hello,/);
  t.true(mail.HTML.includes('<html lang="en">'), 'an HTML part, in English');
  t.false(/[\uAC00-\uD7A3]/.test(mail.Text + mail.HTML), 'nothing Korean in it');
  t.is(mail.From.Address, 'no-reply@ordersaga.dev');

  t.like(await sentCompletion(customerId, orderId), { channel: 'email', recipient: address, delivery: { state: 'sent' } });
});
