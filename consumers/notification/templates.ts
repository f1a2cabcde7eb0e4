/**
 * Customer-facing messages, in Korean and English, one per customer-facing event type. Internal
 * steps (stock reserved or released, shipment cancelled, parcel lost: the refund tells it) are not
 * announced to customers.
 *
 * A new event type needs one entry in `templates` (a title and a body per locale); every channel's
 * shape (the e-mail's subject, text and HTML parts, the SMS line, the push title) comes from it.
 */
import type { EventData, EventType } from '../../platform/events/catalog.js';

export type Locale = 'ko' | 'en';
export type Channel = 'email' | 'sms' | 'push';
interface Message {
  title: string;
  body: string;
}
type Template<T extends EventType> = Record<Locale, (data: EventData<T>) => Message>;

function orderRef(orderId: string): string {
  return orderId.slice(0, 8).toUpperCase();
}

export function formatAmount(amountMinor: number, currency: string, locale: Locale): string {
  return new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US', { style: 'currency', currency }).format(amountMinor);
}

const templates: { [T in EventType]?: Template<T> } = {
  'order.v1.created': {
    ko: (d) => ({
      title: '주문 접수',
      body: `주문 ${orderRef(d.orderId)}이(가) 접수되었습니다. 상품 ${d.items.length}종을 준비하고 있습니다.`,
    }),
    en: (d) => ({
      title: 'Order received',
      body: `We received order ${orderRef(d.orderId)} with ${d.items.length} item(s) and are getting it ready.`,
    }),
  },
  'order.v1.payment_authorized': {
    ko: (d) => ({
      title: '결제 승인',
      body: `주문 ${orderRef(d.orderId)}의 결제 ${formatAmount(d.amountMinor, d.currency, 'ko')}이(가) 승인되었습니다. 승인번호 ${d.approvalCode}.`,
    }),
    en: (d) => ({
      title: 'Payment approved',
      body: `Payment of ${formatAmount(d.amountMinor, d.currency, 'en')} for order ${orderRef(d.orderId)} was approved (approval ${d.approvalCode}).`,
    }),
  },
  'order.v1.payment_declined': {
    ko: (d) => ({
      title: '결제 거절',
      body: `주문 ${orderRef(d.orderId)}의 결제가 거절되었습니다 (${d.declineCode}). 다른 카드로 다시 시도해 주세요.`,
    }),
    en: (d) => ({
      title: 'Payment declined',
      body: `Payment for order ${orderRef(d.orderId)} was declined (${d.declineCode}). Please try another card.`,
    }),
  },
  'payment.v1.voided': {
    ko: (d) => ({ title: '결제 취소', body: `주문 ${orderRef(d.orderId)}의 결제 승인이 취소되었습니다. 청구되지 않습니다.` }),
    en: (d) => ({
      title: 'Payment cancelled',
      body: `The payment approval for order ${orderRef(d.orderId)} was cancelled; you will not be charged.`,
    }),
  },
  'fulfillment.v1.scheduled': {
    ko: (d) => ({
      title: '배송 예정',
      body: `주문 ${orderRef(d.orderId)}이(가) ${d.carrier}(으)로 발송 예정입니다. 도착 예정일 ${d.estimatedDelivery}.`,
    }),
    en: (d) => ({
      title: 'Shipment scheduled',
      body: `Order ${orderRef(d.orderId)} ships with ${d.carrier}, expected on ${d.estimatedDelivery}.`,
    }),
  },
  'fulfillment.v1.shipped': {
    ko: (d) => ({
      title: '배송 시작',
      body: `주문 ${orderRef(d.orderId)}의 상품이 ${d.carrier}에 인계되어 배송이 시작되었습니다. 도착 예정일 ${d.estimatedDelivery}.`,
    }),
    en: (d) => ({
      title: 'Shipped',
      body: `Order ${orderRef(d.orderId)} is on its way with ${d.carrier}, expected on ${d.estimatedDelivery}.`,
    }),
  },
  'fulfillment.v1.delivered': {
    ko: (d) => ({ title: '배송 완료', body: `주문 ${orderRef(d.orderId)}의 상품이 배송되었습니다. 이용해 주셔서 감사합니다.` }),
    en: (d) => ({ title: 'Delivered', body: `Order ${orderRef(d.orderId)} was delivered. Enjoy!` }),
  },
  'order.v1.refunded': {
    ko: (d) => ({
      title: '환불 완료',
      body: `죄송합니다. 주문 ${orderRef(d.orderId)}의 상품이 배송 중 분실되어 ${formatAmount(d.amountMinor, d.currency, 'ko')}을(를) 환불해 드렸습니다.`,
    }),
    en: (d) => ({
      title: 'Refunded',
      body: `We are sorry: the parcel of order ${orderRef(d.orderId)} was lost in transit, and ${formatAmount(d.amountMinor, d.currency, 'en')} has been refunded to your card.`,
    }),
  },
  'order.v1.completed': {
    ko: (d) => ({ title: '주문 완료', body: `주문 ${orderRef(d.orderId)}이(가) 완료되었습니다. 이용해 주셔서 감사합니다.` }),
    en: (d) => ({ title: 'Order complete', body: `Order ${orderRef(d.orderId)} is complete. Thank you for shopping with us.` }),
  },
  'order.v1.rejected': {
    ko: (d) => ({ title: '주문 불가', body: `죄송합니다. 주문 ${orderRef(d.orderId)}을(를) 처리할 수 없습니다: 재고 부족.` }),
    en: (d) => ({ title: 'Order not possible', body: `Sorry, we could not accept order ${orderRef(d.orderId)}: an item is out of stock.` }),
  },
  'order.v1.failed': {
    ko: (d) => ({ title: '주문 실패', body: `주문 ${orderRef(d.orderId)}을(를) 완료하지 못했습니다. 결제는 청구되지 않습니다.` }),
    en: (d) => ({ title: 'Order failed', body: `We could not complete order ${orderRef(d.orderId)}. You have not been charged.` }),
  },
  'order.v1.cancelled': {
    ko: (d) => ({ title: '주문 취소', body: `요청하신 대로 주문 ${orderRef(d.orderId)}이(가) 취소되었습니다.` }),
    en: (d) => ({ title: 'Order cancelled', body: `Order ${orderRef(d.orderId)} was cancelled as you asked.` }),
  },
};

export interface RenderedNotification {
  subject: string | null;
  /** The plain text: the SMS or push text, or the e-mail's text part. */
  body: string;
  /** The e-mail's HTML part (null on the other channels). */
  html: string | null;
}

/** What frames every e-mail, per language: the greeting, and the footer that says who wrote. */
const emailFrame: Record<Locale, { greeting: string; footer: string }> = {
  ko: { greeting: '안녕하세요, 고객님.', footer: '본 메일은 발신 전용입니다. ordersaga 고객센터에서 주문 내역을 확인하실 수 있습니다.' },
  en: {
    greeting: 'Hello,',
    footer: 'This message was sent automatically; replies are not read. Your orders are listed in your ordersaga account.',
  },
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function emailText(message: Message, locale: Locale): string {
  const frame = emailFrame[locale];
  return `${frame.greeting}\n\n${message.body}\n\n--\n${frame.footer}\n`;
}

/** A small, self-contained HTML part (inline styles only: mail clients drop style sheets), in the customer's language. */
function emailHtml(message: Message, locale: Locale): string {
  const frame = emailFrame[locale];
  return [
    '<!doctype html>',
    `<html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(message.title)}</title></head>`,
    "<body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,'Segoe UI','Malgun Gothic','Apple SD Gothic Neo',sans-serif;color:#1f2328\">",
    '<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">',
    `<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(message.title)}</h1>`,
    `<p style="margin:0 0 12px">${escapeHtml(frame.greeting)}</p>`,
    `<p style="margin:0 0 24px;line-height:1.5">${escapeHtml(message.body)}</p>`,
    `<p style="margin:0;font-size:12px;color:#6e7781">${escapeHtml(frame.footer)}</p>`,
    '</div></body></html>',
  ].join('\n');
}

/** The message for one event on one channel, or undefined for events customers are not told about. */
export function renderNotification<T extends EventType>(
  type: T,
  data: EventData<T>,
  locale: Locale,
  channel: Channel,
): RenderedNotification | undefined {
  const template = templates[type];
  if (!template) return undefined;
  const message = template[locale](data);
  switch (channel) {
    case 'email':
      return { subject: `[ordersaga] ${message.title}`, body: emailText(message, locale), html: emailHtml(message, locale) };
    case 'push':
      return { subject: message.title, body: message.body, html: null };
    case 'sms':
      // SMS has no subject line: the title leads the text.
      return { subject: null, body: `[ordersaga] ${message.title}: ${message.body}`, html: null };
  }
}

export function notifiedEventTypes(): EventType[] {
  return Object.keys(templates) as EventType[];
}
