/**
 * TelegramCodec: a telegram to its frame and back, driven entirely by the layout table. Decoding
 * never throws: whatever bytes arrive, the answer is a telegram or a typed error that says which
 * field is at fault and, when it can be read, the trace number to answer with a format error.
 */
import iconv from 'iconv-lite';
import {
  FRAME_LENGTH,
  LENGTH_PREFIX_BYTES,
  TELEGRAM_LENGTH,
  fieldNamed,
  messageTypes,
  telegramLayout,
  type FieldName,
  type MessageType,
  type Telegram,
} from './layout.js';

export type TelegramErrorCode =
  /** The 4-byte length prefix is not 4 ASCII digits: the stream cannot be re-synchronised. */
  | 'bad_length_prefix'
  /** The declared length exceeds what the receiver accepts. */
  | 'frame_over_limit'
  | 'frame_too_short'
  | 'frame_too_long'
  | 'unknown_message_type'
  /** A field's bytes do not fit its kind (digits, printable ASCII) or a value does not fit its field. */
  | 'bad_field'
  /** A hangul field is not valid EUC-KR, or text cannot be written in EUC-KR. */
  | 'bad_encoding';

export interface TelegramError {
  code: TelegramErrorCode;
  message: string;
  field?: FieldName;
  /** Present when the header's trace number could be read, so the sender can be answered. */
  traceNumber?: number;
  /** Present when the message type could be read. */
  messageType?: MessageType;
}

export type DecodeResult = { ok: true; telegram: Telegram } | { ok: false; error: TelegramError };
export type EncodeResult = { ok: true; frame: Buffer } | { ok: false; error: TelegramError };

const SPACE = 0x20;
const ZERO = 0x30;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const LENGTH_PREFIX = String(TELEGRAM_LENGTH).padStart(LENGTH_PREFIX_BYTES, '0');
const knownMessageTypes = new Set<string>(messageTypes);
const traceField = fieldNamed('traceNumber');
const typeField = fieldNamed('messageType');

/** Hangul values are few (merchant names) and costly to convert, so both directions are cached. */
const HANGUL_CACHE_LIMIT = 256;

export class TelegramCodec {
  private readonly hangulCache = new Map<string, Buffer | TelegramError>();
  private readonly hangulTextCache = new Map<string, string>();

  /** The whole frame: length prefix and telegram. */
  encode(telegram: Telegram): EncodeResult {
    const frame = Buffer.allocUnsafe(FRAME_LENGTH);
    const values = telegram as unknown as Record<string, unknown>;
    // ASCII fields are gathered into one string and written in one call: far cheaper than a native
    // write per field at tens of thousands of telegrams a second.
    let ascii = LENGTH_PREFIX;
    let asciiStart = 0;
    for (const field of telegramLayout) {
      const value = values[field.name];
      let problem: string | undefined;
      if (field.kind === 'numeric') {
        if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value < 10 ** field.length) {
          ascii += String(value).padStart(field.length, '0');
        } else {
          problem = `must be an integer from 0 to ${'9'.repeat(field.length)}, got ${JSON.stringify(value)}`;
        }
      } else if (field.kind === 'alpha') {
        if (typeof value !== 'string' || value.length > field.length || !PRINTABLE_ASCII.test(value)) {
          problem = `must be printable ASCII of at most ${field.length} characters, got ${JSON.stringify(value)}`;
        } else if (field.values && !field.values.includes(value)) {
          problem = `must be one of ${field.values.join(', ')}`;
        } else {
          ascii += value.padEnd(field.length, ' ');
        }
      } else if (typeof value !== 'string') {
        problem = `must be text, got ${JSON.stringify(value)}`;
      } else {
        const bytes = this.hangulBytes(value, field.length);
        if (!Buffer.isBuffer(bytes)) return { ok: false, error: { ...bytes, field: field.name } };
        frame.write(ascii, asciiStart, 'latin1');
        const start = LENGTH_PREFIX_BYTES + field.offset;
        bytes.copy(frame, start);
        frame.fill(SPACE, start + bytes.length, start + field.length);
        ascii = '';
        asciiStart = start + field.length;
      }
      if (problem !== undefined) {
        return { ok: false, error: { code: 'bad_field', field: field.name, message: `${field.name}: ${problem}` } };
      }
    }
    if (ascii !== '') frame.write(ascii, asciiStart, 'latin1');
    return { ok: true, frame };
  }

  /** A whole frame, length prefix included. */
  decode(frame: Uint8Array): DecodeResult {
    const buffer = asBuffer(frame);
    const declared = readLengthPrefix(buffer);
    if (declared === undefined) {
      return fail({ code: 'bad_length_prefix', message: 'the frame does not start with 4 ASCII digits' });
    }
    const payload = buffer.subarray(LENGTH_PREFIX_BYTES);
    if (declared !== payload.length) {
      return fail({
        code: declared > payload.length ? 'frame_too_short' : 'frame_too_long',
        message: `the frame declares ${declared} bytes but carries ${payload.length}`,
        ...readableHeader(payload),
      });
    }
    return this.decodePayload(payload);
  }

  /** The bytes after the length prefix, as cut from a stream by TelegramFramer. */
  decodePayload(payload: Uint8Array): DecodeResult {
    const buffer = asBuffer(payload);
    if (buffer.length !== TELEGRAM_LENGTH) {
      return fail({
        code: buffer.length < TELEGRAM_LENGTH ? 'frame_too_short' : 'frame_too_long',
        message: `a telegram is ${TELEGRAM_LENGTH} bytes, got ${buffer.length}`,
        ...readableHeader(buffer),
      });
    }
    // One latin1 string for the whole telegram; fields are cheap substrings of it.
    const text = buffer.toString('latin1');
    const telegram: Record<string, unknown> = {};
    for (const field of telegramLayout) {
      const start = field.offset;
      const end = start + field.length;
      if (field.kind === 'numeric') {
        const value = readDigits(buffer, start, end);
        if (value === undefined) return badField(field.name, 'bad_field', 'is not all ASCII digits', buffer);
        telegram[field.name] = value;
      } else if (field.kind === 'alpha') {
        if (!isPrintableAscii(buffer, start, end)) return badField(field.name, 'bad_field', 'is not printable ASCII', buffer);
        const value = trimRight(text.slice(start, end));
        if (field.values && !field.values.includes(value)) {
          return field.name === 'messageType'
            ? fail({
                code: 'unknown_message_type',
                field: field.name,
                message: `unknown message type ${JSON.stringify(value)}`,
                ...readableHeader(buffer),
              })
            : badField(field.name, 'bad_field', `is not one of ${field.values.join(', ')}`, buffer);
        }
        telegram[field.name] = value;
      } else {
        const value = this.hangulText(buffer, text, start, end);
        if (value === undefined) return badField(field.name, 'bad_encoding', 'is not valid EUC-KR text', buffer);
        telegram[field.name] = trimRight(value);
      }
    }
    return { ok: true, telegram: telegram as Telegram };
  }

  /** Text of a hangul field; the few distinct values (merchant names) are decoded once. */
  private hangulText(buffer: Buffer, latin1: string, start: number, end: number): string | undefined {
    const key = latin1.slice(start, end);
    const cached = this.hangulTextCache.get(key);
    if (cached !== undefined) return cached;
    const text = decodeEucKr(buffer.subarray(start, end));
    if (text !== undefined) {
      if (this.hangulTextCache.size >= HANGUL_CACHE_LIMIT) this.hangulTextCache.clear();
      this.hangulTextCache.set(key, text);
    }
    return text;
  }

  /**
   * EUC-KR bytes of `text`, cut to `limit` bytes without splitting a 2-byte character. Text with a
   * character EUC-KR (KS X 1001) cannot write is an error rather than a silent `?`: CP949-only
   * syllables such as 똠 would be rejected by a strict EUC-KR host.
   */
  private hangulBytes(text: string, limit: number): Buffer | TelegramError {
    const key = `${limit}:${text}`;
    const cached = this.hangulCache.get(key);
    if (cached) return cached;
    const result = encodeEucKr(text, limit);
    if (this.hangulCache.size >= HANGUL_CACHE_LIMIT) this.hangulCache.clear();
    this.hangulCache.set(key, result);
    return result;
  }
}

/** The codec every module shares; it holds only a small cache. */
export const telegramCodec = new TelegramCodec();

/** The declared length, or undefined when the first 4 bytes are not ASCII digits. */
export function readLengthPrefix(buffer: Buffer, offset = 0): number | undefined {
  if (buffer.length < offset + LENGTH_PREFIX_BYTES) return undefined;
  return readDigits(buffer, offset, offset + LENGTH_PREFIX_BYTES);
}

function encodeEucKr(text: string, limit: number): Buffer | TelegramError {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this check refuses
  if (/[\x00-\x1f\x7f]/.test(text)) {
    return { code: 'bad_encoding', message: `text ${JSON.stringify(text)} contains control characters` };
  }
  const bytes = iconv.encode(text, 'euc-kr');
  // iconv-lite's "euc-kr" is CP949 and writes `?` for what it cannot map; both are caught here.
  if (!isStrictEucKr(bytes, 0, bytes.length) || iconv.decode(bytes, 'euc-kr') !== text) {
    return { code: 'bad_encoding', message: `text ${JSON.stringify(text)} cannot be written in EUC-KR (KS X 1001)` };
  }
  let end = 0;
  while (end < bytes.length) {
    const width = bytes[end]! < 0x80 ? 1 : 2;
    if (end + width > limit) break;
    end += width;
  }
  return bytes.subarray(0, end);
}

function decodeEucKr(bytes: Buffer): string | undefined {
  let ascii = true;
  for (const byte of bytes) {
    if (byte >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return isPrintableAscii(bytes, 0, bytes.length) ? bytes.toString('latin1', 0, bytes.length) : undefined;
  if (!isStrictEucKr(bytes, 0, bytes.length)) return undefined;
  const text = iconv.decode(bytes, 'euc-kr');
  return text.includes('\ufffd') ? undefined : text;
}

/** Printable ASCII, and 2-byte characters with both bytes in 0xA1–0xFE (KS X 1001). */
function isStrictEucKr(bytes: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    const byte = bytes[index]!;
    if (byte < 0x80) {
      if (byte < 0x20 || byte === 0x7f) return false;
      continue;
    }
    const trail = bytes[index + 1];
    if (byte < 0xa1 || byte > 0xfe || index + 1 >= end || trail === undefined || trail < 0xa1 || trail > 0xfe) return false;
    index += 1;
  }
  return true;
}

function readDigits(buffer: Uint8Array, start: number, end: number): number | undefined {
  let value = 0;
  for (let index = start; index < end; index += 1) {
    const digit = buffer[index]! - ZERO;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

function isPrintableAscii(buffer: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    const byte = buffer[index]!;
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}

function trimRight(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === SPACE) end -= 1;
  return end === text.length ? text : text.slice(0, end);
}

/** Trace number and message type, read from a header that may be short or broken elsewhere. */
function readableHeader(payload: Buffer): Pick<TelegramError, 'traceNumber' | 'messageType'> {
  const header: Pick<TelegramError, 'traceNumber' | 'messageType'> = {};
  const traceEnd = traceField.offset + traceField.length;
  if (payload.length >= traceEnd) {
    const traceNumber = readDigits(payload, traceField.offset, traceEnd);
    if (traceNumber !== undefined) header.traceNumber = traceNumber;
  }
  const typeEnd = typeField.offset + typeField.length;
  if (payload.length >= typeEnd) {
    const type = payload.toString('latin1', typeField.offset, typeEnd);
    if (knownMessageTypes.has(type)) header.messageType = type as MessageType;
  }
  return header;
}

/** The error for one field; the header is read for it only now, as a telegram that decodes never needs it. */
function badField(field: FieldName, code: TelegramErrorCode, problem: string, payload: Buffer): DecodeResult {
  return fail({ code, field, message: `field ${field} ${problem}`, ...readableHeader(payload) });
}

function fail(error: TelegramError): DecodeResult {
  return { ok: false, error };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
