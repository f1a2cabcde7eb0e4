/**
 * Reading what the estate delivered, through Mailpit's REST API (the dev stack's mail catcher:
 * infra/local/mailpit/, UI and API on :8025): the messages to one address, and one message whole (its
 * subject, text and HTML parts, tags). MAILPIT_URL overrides where it is.
 */
import { eventually } from './estate.js';

export const mailpitUrl = process.env.MAILPIT_URL ?? 'http://localhost:8025';

export interface MailpitAddress {
  Name: string;
  Address: string;
}

/** A message in a listing (`GET /api/v1/messages`, `GET /api/v1/search`). */
export interface MailpitSummary {
  ID: string;
  MessageID: string;
  Subject: string;
  To: MailpitAddress[];
  Tags: string[];
  Created: string;
}

/** One message whole (`GET /api/v1/message/{ID}`). */
export interface MailpitMessage extends MailpitSummary {
  From: MailpitAddress;
  Text: string;
  HTML: string;
}

async function getJson<T>(path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${mailpitUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new Error(
      `Mailpit does not answer at ${mailpitUrl} (${(error as Error).message}): the dev stack starts it (infra/local/mailpit/start.sh, via make up / make test)`,
    );
  }
  if (!response.ok) throw new Error(`Mailpit answered ${response.status} to GET ${path}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Fails with a message that says what to do when Mailpit is not there. */
export async function mailpitVersion(): Promise<string> {
  return (await getJson<{ Version: string }>('/api/v1/info')).Version;
}

/** The messages to `address`, newest first. */
export async function messagesTo(address: string): Promise<MailpitSummary[]> {
  const query = encodeURIComponent(`to:"${address}"`);
  const { messages } = await getJson<{ messages: MailpitSummary[] }>(`/api/v1/search?query=${query}&limit=50`);
  return messages.filter((message) => message.To.some((to) => to.Address.toLowerCase() === address.toLowerCase()));
}

export function message(id: string): Promise<MailpitMessage> {
  return getJson<MailpitMessage>(`/api/v1/message/${encodeURIComponent(id)}`);
}

/** Waits (with a deadline) for the message to `address` whose subject is `subject`, and reads it whole. */
export async function waitForMessage(address: string, subject: string, timeoutMs = 30_000): Promise<MailpitMessage> {
  const summary = await eventually(
    `a message "${subject}" to ${address} in Mailpit`,
    async () => (await messagesTo(address)).find((candidate) => candidate.Subject === subject),
    timeoutMs,
    250,
  );
  return message(summary.ID);
}
