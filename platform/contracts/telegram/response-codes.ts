/**
 * Response codes (응답코드) of the payment 전문. Four digits, `0000` for success as Korean gateways
 * use; the last two digits follow ISO 8583 field 39 where ISO has a matching code. Each decline maps
 * to exactly one decline code of the HTTP API, so both lines report the same reason.
 */
import type { DeclineCode } from '../decline-codes.js';

export type ResponseOutcome =
  /** Approved, reversed, or echoed. */
  | 'ok'
  /** The issuer said no: an answer, not an error. */
  | 'declined'
  /** The request can never succeed as sent. */
  | 'rejected'
  /** The gateway failed and booked nothing: a retry may pass. */
  | 'system_error'
  /** This attempt was reversed before its request arrived; nothing was booked: a new attempt may pass. */
  | 'attempt_reversed';

export interface ResponseCodeEntry {
  code: string;
  meaning: string;
  outcome: ResponseOutcome;
  declineCode?: DeclineCode;
}

export const responseCodeTable = [
  { code: '0000', meaning: 'Approved; reversal done; echo answered', outcome: 'ok' },
  { code: '0005', meaning: 'Declined: do not honour (generic decline)', outcome: 'declined', declineCode: 'generic_decline' },
  { code: '0014', meaning: 'Invalid card: number (Luhn), expiry or CVC', outcome: 'declined', declineCode: 'invalid_card' },
  { code: '0051', meaning: 'Insufficient funds', outcome: 'declined', declineCode: 'insufficient_funds' },
  { code: '0054', meaning: 'Expired card', outcome: 'declined', declineCode: 'expired_card' },
  {
    code: '0012',
    meaning: 'Invalid transaction: the payment’s state forbids it (e.g. the order’s payment was voided or refunded)',
    outcome: 'rejected',
  },
  { code: '0025', meaning: 'Original not found: a void names a transaction id the order does not have', outcome: 'rejected' },
  {
    code: '0057',
    meaning: 'Not permitted: the order was voided by order id (an order tombstone); it takes no approval any more',
    outcome: 'rejected',
  },
  {
    code: '0058',
    meaning:
      'Not permitted: this attempt (orderId + attemptNumber) was reversed before its 0200 arrived (an attempt tombstone); nothing booked',
    outcome: 'attempt_reversed',
  },
  { code: '0030', meaning: 'Format error: the request could not be decoded (the field at fault is logged)', outcome: 'rejected' },
  {
    code: '0094',
    meaning:
      'Duplicate: the trace number is already in flight on this connection, or the order already holds an approval on other terms or of another attempt',
    outcome: 'rejected',
  },
  { code: '0096', meaning: 'System error: nothing was booked; retry', outcome: 'system_error' },
] as const satisfies readonly ResponseCodeEntry[];

export type ResponseCode = (typeof responseCodeTable)[number]['code'];

const byCode = new Map<string, ResponseCodeEntry>(responseCodeTable.map((entry) => [entry.code, entry]));

/** What a response code means; an unknown code is treated as a system error. */
export function describeResponseCode(code: string): ResponseCodeEntry {
  return byCode.get(code) ?? { code, meaning: `unknown response code ${JSON.stringify(code)}`, outcome: 'system_error' };
}

export function responseCodeForDecline(declineCode: DeclineCode): ResponseCode {
  const entry = responseCodeTable.find((candidate) => 'declineCode' in candidate && candidate.declineCode === declineCode);
  if (!entry) throw new Error(`no response code for decline ${declineCode}`);
  return entry.code;
}
