/**
 * The payment 전문 (fixed-length telegram) layout: one declarative table from which the codec, the
 * TypeScript type of a telegram and the offset table in docs/payment-telegram.md are all derived.
 * Change the protocol here and nowhere else.
 *
 * A frame is 4 ASCII digits giving the length of what follows (not counting themselves), then the
 * fields below back to back. Every message type uses the same layout; fields a type does not use are
 * blank (alpha, hangul) or zero (numeric).
 */

/**
 * numeric: ASCII digits, zero-padded on the left, carried as a number.
 * alpha: printable ASCII, space-padded on the right.
 * hangul: EUC-KR text, space-padded on the right, length in bytes; over-long text is cut on a
 * character boundary.
 */
export type FieldKind = 'numeric' | 'alpha' | 'hangul';

interface FieldSpec {
  name: string;
  part: 'header' | 'body';
  length: number;
  kind: FieldKind;
  description: string;
  /** The only values an alpha field may take. */
  values?: readonly string[];
}

export const messageTypeTable = [
  { type: '0200', meaning: 'approval request' },
  { type: '0210', meaning: 'approval response' },
  {
    type: '0420',
    meaning:
      'reversal request: 망취소 of one authorization attempt (attemptNumber), void of a known payment (transactionId), or void by order id (neither)',
  },
  { type: '0430', meaning: 'reversal response' },
  { type: '0800', meaning: 'echo request (heartbeat)' },
  { type: '0810', meaning: 'echo response' },
  { type: '9999', meaning: 'reject: answers a telegram whose type is unknown or not a request (response code 0030)' },
] as const;

export type MessageType = (typeof messageTypeTable)[number]['type'];
export const messageTypes: readonly MessageType[] = messageTypeTable.map((entry) => entry.type);
export type RequestType = '0200' | '0420' | '0800';

export const responseTypeOf: Record<RequestType, MessageType> = { '0200': '0210', '0420': '0430', '0800': '0810' };

export function isRequestType(type: MessageType): type is RequestType {
  return type in responseTypeOf;
}

export const telegramFields = [
  {
    name: 'systemCode',
    part: 'header',
    length: 4,
    kind: 'alpha',
    description: 'Sending system; the simulator answers with the code it was sent',
  },
  {
    name: 'messageType',
    part: 'header',
    length: 4,
    kind: 'alpha',
    values: messageTypes,
    description: 'Message type (전문구분코드), see the message types table',
  },
  {
    name: 'traceNumber',
    part: 'header',
    length: 10,
    kind: 'numeric',
    description:
      'Transaction trace number (전문일련번호), chosen by the requester and echoed in the response; unique among its requests in flight on a connection',
  },
  { name: 'sendDate', part: 'header', length: 8, kind: 'numeric', description: 'Send date, yyyymmdd, KST' },
  { name: 'sendTime', part: 'header', length: 6, kind: 'numeric', description: 'Send time, hhmmss, KST' },
  { name: 'responseCode', part: 'header', length: 4, kind: 'alpha', description: 'Response code (응답코드), blank in requests' },
  {
    name: 'traceparent',
    part: 'header',
    length: 55,
    kind: 'alpha',
    description: 'Reserved: W3C traceparent of the sender’s span (00-<32 hex>-<16 hex>-<2 hex>), blank when untraced',
  },
  { name: 'merchantId', part: 'body', length: 10, kind: 'alpha', description: 'Merchant id (가맹점번호)' },
  { name: 'orderId', part: 'body', length: 36, kind: 'alpha', description: 'Merchant order id; the key of approvals and reversals' },
  {
    name: 'attemptNumber',
    part: 'body',
    length: 4,
    kind: 'numeric',
    description:
      'Authorization attempt (승인시도번호), 1–9999: in 0200, with orderId, the attempt key `<orderId>:<attempt>` that identifies the original transaction; in 0420, the original data element naming the attempt to reverse. 0 = none',
  },
  { name: 'amount', part: 'body', length: 12, kind: 'numeric', description: 'Amount in minor units (KRW has none: won)' },
  { name: 'currency', part: 'body', length: 3, kind: 'alpha', description: 'ISO 4217 currency code' },
  {
    name: 'cardToken',
    part: 'body',
    length: 24,
    kind: 'alpha',
    description:
      'Card token (카드토큰) from the card vault (`POST /vault/cards`, `tok_` and 20 characters): in 0200 the card to charge, echoed in 0210; blank elsewhere. The line never carries a card number',
  },
  {
    name: 'installmentMonths',
    part: 'body',
    length: 2,
    kind: 'numeric',
    description: 'Installment months (할부개월), 00 = lump sum (일시불)',
  },
  {
    name: 'approvalNumber',
    part: 'body',
    length: 8,
    kind: 'alpha',
    description: 'Approval number (승인번호), 8 digits; blank until approved',
  },
  { name: 'approvalDate', part: 'body', length: 8, kind: 'numeric', description: 'Approval date, yyyymmdd, KST; 0 until approved' },
  { name: 'approvalTime', part: 'body', length: 6, kind: 'numeric', description: 'Approval time, hhmmss, KST; 0 until approved' },
  {
    name: 'transactionId',
    part: 'body',
    length: 20,
    kind: 'alpha',
    description: 'Gateway transaction id (거래고유번호): the payment id, the same one the HTTP API uses',
  },
  { name: 'merchantName', part: 'body', length: 40, kind: 'hangul', description: 'Merchant name (가맹점명) in EUC-KR' },
] as const satisfies readonly FieldSpec[];

export type TelegramField = (typeof telegramFields)[number];
export type FieldName = TelegramField['name'];

type FieldValue<F> = F extends { values: readonly (infer V)[] } ? V : F extends { kind: 'numeric' } ? number : string;

/** One decoded telegram: every field of the table, typed by its kind. */
export type Telegram = { -readonly [F in TelegramField as F['name']]: FieldValue<F> };

export interface PlacedField {
  name: FieldName;
  part: 'header' | 'body';
  /** Counted from the first byte after the length prefix. */
  offset: number;
  length: number;
  kind: FieldKind;
  description: string;
  values?: readonly string[];
}

/** The table with offsets: each field starts where the previous one ends. */
export const telegramLayout: readonly PlacedField[] = (() => {
  let offset = 0;
  return telegramFields.map((field) => {
    const placed: PlacedField = { ...field, offset };
    offset += field.length;
    return placed;
  });
})();

export const LENGTH_PREFIX_BYTES = 4;
/** Bytes after the length prefix; every frame declares exactly this length. */
export const TELEGRAM_LENGTH = telegramLayout.reduce((total, field) => total + field.length, 0);
export const HEADER_LENGTH = telegramLayout.filter((field) => field.part === 'header').reduce((total, field) => total + field.length, 0);
export const FRAME_LENGTH = LENGTH_PREFIX_BYTES + TELEGRAM_LENGTH;

export function fieldNamed(name: FieldName): PlacedField {
  const field = telegramLayout.find((candidate) => candidate.name === name);
  if (!field) throw new Error(`no telegram field ${name}`);
  return field;
}
