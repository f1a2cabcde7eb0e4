/**
 * Building telegrams: a blank one to fill in, the clock fields, and the response to a request,
 * which echoes the request and fills in the answer.
 */
import { responseTypeOf, type RequestType, type Telegram } from './layout.js';

/** System code of ordersaga's merchant side; the simulator answers with whatever code it receives. */
export const ORDERSAGA_SYSTEM_CODE = 'OSGA';

/** Korean VAN lines keep time in KST whatever the host's zone; so do both ends here. */
const KST_OFFSET_MS = 9 * 60 * 60 * 1000;

export function blankTelegram(fields: Partial<Telegram> & Pick<Telegram, 'messageType' | 'traceNumber'>): Telegram {
  return {
    systemCode: ORDERSAGA_SYSTEM_CODE,
    ...telegramClockNow(),
    responseCode: '',
    traceparent: '',
    merchantId: '',
    orderId: '',
    attemptNumber: 0,
    amount: 0,
    currency: '',
    cardToken: '',
    installmentMonths: 0,
    approvalNumber: '',
    approvalDate: 0,
    approvalTime: 0,
    transactionId: '',
    merchantName: '',
    ...fields,
  };
}

/** Date (yyyymmdd) and time (hhmmss) fields, in KST. */
export function telegramClock(at: Date): { sendDate: number; sendTime: number } {
  const kst = new Date(at.getTime() + KST_OFFSET_MS);
  return {
    sendDate: kst.getUTCFullYear() * 10_000 + (kst.getUTCMonth() + 1) * 100 + kst.getUTCDate(),
    sendTime: kst.getUTCHours() * 10_000 + kst.getUTCMinutes() * 100 + kst.getUTCSeconds(),
  };
}

let clockSecond = -1;
let clockFields = { sendDate: 0, sendTime: 0 };

/** The clock fields for now; computed once a second, as thousands of telegrams a second share them. */
export function telegramClockNow(): { sendDate: number; sendTime: number } {
  const second = Math.floor(Date.now() / 1000);
  if (second !== clockSecond) {
    clockSecond = second;
    clockFields = telegramClock(new Date(second * 1000));
  }
  return clockFields;
}

/** The instant a KST date and time field pair names. */
export function instantOf(date: number, time: number): Date {
  const utc = Date.UTC(
    Math.floor(date / 10_000),
    (Math.floor(date / 100) % 100) - 1,
    date % 100,
    Math.floor(time / 10_000),
    Math.floor(time / 100) % 100,
    time % 100,
  );
  return new Date(utc - KST_OFFSET_MS);
}

/** The answer to `request`: same trace number and business fields, the response type, a fresh clock. */
export function responseTo(request: Telegram & { messageType: RequestType }, answer: Partial<Telegram>): Telegram {
  return {
    ...request,
    ...telegramClockNow(),
    messageType: responseTypeOf[request.messageType],
    traceparent: '',
    ...answer,
  };
}
