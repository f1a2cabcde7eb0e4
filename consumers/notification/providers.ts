/**
 * The providers a notification is delivered through: e-mail over SMTP (nodemailer), SMS and push to
 * an HTTP provider. In the dev stack all three land in Mailpit (docs/decisions.md, "Notification
 * delivery"): e-mail through its SMTP port, SMS and push through its send API, so the mail UI shows
 * every message the estate sends. A provider only sends; the delivery loop (delivery.ts) decides
 * when, records the outcome, and makes the exit span and the metrics.
 */
import nodemailer from 'nodemailer';
import type { Environment } from '../../platform/config.js';
import type { Channel, Locale } from './templates.js';

/** One notification as the outbox holds it: everything needed to send it again, unchanged. */
export interface OutgoingNotification {
  notificationId: string;
  eventType: string;
  channel: Channel;
  locale: Locale;
  recipient: string;
  subject: string | null;
  body: string;
  html: string | null;
}

export interface Provider {
  /** The dependency map's name of the remote side (`peer.service`). */
  peerService: string;
  /** Sends, or throws; `PermanentDeliveryError` when trying again cannot help. Returns the provider's message id. */
  send(notification: OutgoingNotification, signal: AbortSignal): Promise<{ providerMessageId: string }>;
}

export type Providers = Record<Channel, Provider>;

/**
 * The provider refused this message for good (an SMTP 5xx, an HTTP 4xx other than 408/429): it is
 * marked failed at once instead of being retried. `errorType` is a short, low-cardinality label.
 */
export class PermanentDeliveryError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/** A short label of what went wrong, for the `error.type` attribute: an SMTP code class, an HTTP status, a socket error code. */
export function deliveryErrorType(error: unknown): string {
  if (error instanceof PermanentDeliveryError) return error.errorType;
  const e = error as { responseCode?: number; code?: string; name?: string };
  if (typeof e.responseCode === 'number') return `smtp_${e.responseCode}`;
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  return e.name ?? 'Error';
}

/** Tags Mailpit shows beside a message (its `X-Tags` header, or the send API's Tags). */
function tags(notification: OutgoingNotification): string[] {
  return ['ordersaga', notification.channel, notification.locale, notification.eventType];
}

export function smtpProvider(settings: Environment, timeoutMs: number): Provider {
  const transport = nodemailer.createTransport({
    host: settings.SMTP_HOST,
    port: settings.SMTP_PORT,
    secure: settings.SMTP_SECURE,
    requireTLS: settings.SMTP_REQUIRE_TLS,
    auth: settings.SMTP_USER ? { user: settings.SMTP_USER, pass: settings.SMTP_PASSWORD } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    peerService: settings.SMTP_PEER_SERVICE,
    async send(notification) {
      try {
        const info = await transport.sendMail({
          from: settings.NOTIFICATION_EMAIL_FROM,
          to: notification.recipient,
          subject: notification.subject ?? '',
          text: notification.body,
          html: notification.html ?? undefined,
          // The same id on every attempt: a resend after a lost answer is recognisable as the same mail.
          messageId: `<${notification.notificationId}@ordersaga.dev>`,
          headers: { 'X-Tags': tags(notification).join(','), 'X-Notification-Id': notification.notificationId },
        });
        return { providerMessageId: info.messageId };
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        if (typeof code === 'number' && code >= 500) {
          throw new PermanentDeliveryError(`the SMTP relay refused the message: ${(error as Error).message}`, `smtp_${code}`);
        }
        throw error;
      }
    },
  };
}

/**
 * An HTTP message provider. The request is Mailpit's send API (`POST /api/v1/send`, answering
 * `{"ID": …}`); the recipient (a phone number, a device token) becomes the local part of an address
 * in a domain of its channel, so the mail UI lists it.
 */
export function httpProvider(channel: 'sms' | 'push', url: string, peerService: string): Provider {
  return {
    peerService,
    async send(notification, signal) {
      // no '+': Mailpit would read it as plus-addressing and tag the message with the number
      const localPart = notification.recipient.replace(/[^A-Za-z0-9._-]/g, '') || 'unknown';
      const response = await fetch(url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', 'idempotency-key': notification.notificationId },
        body: JSON.stringify({
          From: { Email: `${channel}@ordersaga.dev`, Name: `ordersaga ${channel.toUpperCase()}` },
          To: [{ Email: `${localPart}@${channel}.ordersaga.dev`, Name: notification.recipient }],
          Subject: notification.subject ?? notification.body.slice(0, 60),
          Text: notification.body,
          Tags: tags(notification),
          Headers: { 'X-Notification-Id': notification.notificationId },
        }),
      });
      const text = await response.text();
      if (!response.ok) {
        const message = `${channel} provider answered ${response.status}: ${text.slice(0, 200)}`;
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          throw new PermanentDeliveryError(message, `http_${response.status}`);
        }
        throw Object.assign(new Error(message), { code: `http_${response.status}` });
      }
      const id = (JSON.parse(text || '{}') as { ID?: string }).ID;
      return { providerMessageId: id ?? '' };
    },
  };
}

/** The providers the configuration names. */
export function configuredProviders(settings: Environment): Providers {
  return {
    email: smtpProvider(settings, settings.NOTIFICATION_DELIVERY_TIMEOUT_MS),
    sms: httpProvider('sms', settings.NOTIFICATION_SMS_URL, settings.NOTIFICATION_SMS_PEER_SERVICE),
    push: httpProvider('push', settings.NOTIFICATION_PUSH_URL, settings.NOTIFICATION_PUSH_PEER_SERVICE),
  };
}
