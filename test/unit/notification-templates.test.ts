/**
 * Customer notifications (consumers/notification/templates.ts): every customer-facing event renders
 * in both languages on every channel; internal steps render nothing.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { eventTypes, type EventType } from '../../platform/events/catalog.js';
import { type Channel, formatAmount, type Locale, notifiedEventTypes, renderNotification } from '../../consumers/notification/templates.js';
import { sampleEventData } from '../support/fixtures.js';

const locales: Locale[] = ['ko', 'en'];
const channels: Channel[] = ['email', 'sms', 'push'];
const HANGUL = /[\uAC00-\uD7A3]/;
const internalEventTypes: EventType[] = [
  'inventory.v1.reserved',
  'inventory.v1.rejected',
  'inventory.v1.released',
  'fulfillment.v1.cancelled',
  // The customer hears of a lost parcel through its refund (order.v1.refunded).
  'fulfillment.v1.lost',
];

const orderId = randomUUID();
const samples = sampleEventData(orderId);
const orderRef = orderId.slice(0, 8).toUpperCase();

function render(type: EventType, locale: Locale, channel: Channel) {
  return renderNotification(type, samples[type] as never, locale, channel);
}

test('customers hear of every event except the internal steps', (t) => {
  t.deepEqual([...notifiedEventTypes()].sort(), eventTypes.filter((type) => !internalEventTypes.includes(type)).sort());
});

for (const type of notifiedEventTypes()) {
  test(`${type} renders in ko and en on email, sms and push`, (t) => {
    for (const locale of locales) {
      const bodies = new Set<string>();
      for (const channel of channels) {
        const rendered = render(type, locale, channel);
        if (!rendered) {
          t.fail(`${type} ${locale} ${channel} rendered nothing`);
          continue;
        }
        const where = `${type} ${locale} ${channel}`;
        t.true(rendered.body.includes(orderRef), `${where}: names the order`);
        t.is(HANGUL.test(rendered.body), locale === 'ko', `${where}: Korean exactly when the locale is ko`);
        bodies.add(rendered.body);
        switch (channel) {
          case 'sms':
            t.is(rendered.subject, null, `${where}: SMS has no subject`);
            t.true(rendered.body.startsWith('[ordersaga] '), where);
            break;
          case 'email':
            t.regex(rendered.subject ?? '', /^\[ordersaga\] \S/, where);
            break;
          case 'push':
            t.truthy(rendered.subject, where);
            t.false(rendered.subject!.startsWith('[ordersaga]'), `${where}: push titles are short`);
            break;
        }
      }
      // The SMS text leads with the title: it carries the email/push body after it.
      const email = render(type, locale, 'email')!;
      const sms = render(type, locale, 'sms')!;
      const push = render(type, locale, 'push')!;
      t.true(email.body.includes(push.body), `${type} ${locale}: the e-mail's text part carries the push body`);
      t.true(email.html!.includes(`<html lang="${locale}">`), `${type} ${locale}: the HTML part is in the customer's language`);
      t.true(
        email.html!.includes(`<h1 style="font-size:20px;margin:0 0 16px">${push.subject}</h1>`),
        `${type} ${locale}: the HTML part leads with the title`,
      );
      t.is(push.html, null);
      t.is(sms.html, null);
      t.is(sms.body, `[ordersaga] ${push.subject}: ${push.body}`, `${type} ${locale}: SMS = title + body`);
      t.is(email.subject, `[ordersaga] ${push.subject}`);
    }
    t.notDeepEqual(render(type, 'ko', 'email'), render(type, 'en', 'email'), 'the two languages differ');
  });
}

test('an e-mail has a text and an HTML part, framed in its language: greeting, message, footer', (t) => {
  const ko = render('order.v1.completed', 'ko', 'email')!;
  t.is(ko.subject, '[ordersaga] 주문 완료');
  t.regex(ko.body, /^안녕하세요, 고객님\.\n\n주문 [0-9A-F]{8}이\(가\) 완료되었습니다\./);
  t.regex(ko.body, /\n--\n본 메일은 발신 전용입니다/);
  t.regex(ko.html!, /<p style="[^"]*">안녕하세요, 고객님\.<\/p>/);
  const en = render('order.v1.completed', 'en', 'email')!;
  t.is(en.subject, '[ordersaga] Order complete');
  t.regex(en.body, /^Hello,\n\nOrder [0-9A-F]{8} is complete\./);
  t.regex(en.html!, /^<!doctype html>\n<html lang="en">/);
  t.false(HANGUL.test(en.html!), 'nothing Korean in the English e-mail');
});

test("the HTML part escapes what it quotes from an event (a carrier's name is data, not markup)", (t) => {
  const data = { ...samples['fulfillment.v1.scheduled'], carrier: '<script>alert(1)</script> & co' };
  const html = renderNotification('fulfillment.v1.scheduled', data, 'en', 'email')!.html!;
  t.false(html.includes('<script>'));
  t.true(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co'));
});

test('events customers are not told about render nothing, in any locale or channel', (t) => {
  for (const type of internalEventTypes) {
    for (const locale of locales) {
      for (const channel of channels) t.is(render(type, locale, channel), undefined, `${type} ${locale} ${channel}`);
    }
  }
});

test('messages carry the facts of the event', (t) => {
  const authorized = render('order.v1.payment_authorized', 'en', 'email')!;
  t.true(authorized.body.includes('₩90,000'), authorized.body);
  t.true(authorized.body.includes('12345678'), 'approval code');
  const authorizedKo = render('order.v1.payment_authorized', 'ko', 'email')!;
  t.true(authorizedKo.body.includes('₩90,000'), authorizedKo.body);
  const declined = render('order.v1.payment_declined', 'ko', 'sms')!;
  t.true(declined.body.includes('insufficient_funds'));
  const scheduled = render('fulfillment.v1.scheduled', 'en', 'push')!;
  t.true(scheduled.body.includes('cj-logistics') && scheduled.body.includes('2025-03-03'), scheduled.body);
  const created = render('order.v1.created', 'ko', 'push')!;
  t.true(created.body.includes('상품 1종'), created.body);
  const shipped = render('fulfillment.v1.shipped', 'ko', 'email')!;
  t.true(shipped.body.includes('cj-logistics') && shipped.body.includes('2025-03-03'), shipped.body);
  t.is(render('fulfillment.v1.delivered', 'en', 'email')!.subject, '[ordersaga] Delivered');
  t.is(render('fulfillment.v1.delivered', 'ko', 'email')!.subject, '[ordersaga] 배송 완료');
  for (const locale of locales) {
    const refunded = render('order.v1.refunded', locale, 'email')!;
    t.true(refunded.body.includes('₩93,000'), refunded.body);
  }
});

test('formatAmount writes won without decimals in both locales', (t) => {
  t.is(formatAmount(12_900, 'KRW', 'ko'), '₩12,900');
  t.is(formatAmount(12_900, 'KRW', 'en'), '₩12,900');
  t.is(formatAmount(0, 'KRW', 'ko'), '₩0');
  t.is(formatAmount(1_234_567, 'KRW', 'en'), '₩1,234,567');
});
