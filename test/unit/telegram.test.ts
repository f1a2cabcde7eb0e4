/**
 * TelegramCodec and TelegramFramer: round trips for any valid telegram (Korean text included),
 * exact frame lengths, and no exception out of any input whatsoever.
 */
import test from 'ava';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { telegramCodec } from '../../platform/contracts/telegram/codec.js';
import { TelegramFramer } from '../../platform/contracts/telegram/framer.js';
import {
  FRAME_LENGTH,
  HEADER_LENGTH,
  LENGTH_PREFIX_BYTES,
  TELEGRAM_LENGTH,
  fieldNamed,
  messageTypes,
  telegramLayout,
  type MessageType,
  type Telegram,
} from '../../platform/contracts/telegram/layout.js';
import { blankTelegram } from '../../platform/contracts/telegram/messages.js';

/** The 2,350 Hangul syllables of KS X 1001, i.e. the ones EUC-KR can write. */
const eucKrSyllables: string[] = [];
for (let lead = 0xb0; lead <= 0xc8; lead += 1) {
  for (let trail = 0xa1; trail <= 0xfe; trail += 1) eucKrSyllables.push(iconv.decode(Buffer.from([lead, trail]), 'euc-kr'));
}

const asciiChar = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const byteLength = (text: string) => iconv.encode(text, 'euc-kr').length;

function alpha(length: number) {
  return fc.string({ unit: asciiChar, maxLength: length }).map((text) => text.trimEnd());
}

function hangul(lengthInBytes: number) {
  return fc.array(fc.oneof(asciiChar, fc.constantFrom(...eucKrSyllables)), { maxLength: lengthInBytes }).map((characters) => {
    let text = '';
    for (const character of characters) {
      if (byteLength(text + character) > lengthInBytes) break;
      text += character;
    }
    return text.trimEnd();
  });
}

const telegramArbitrary: fc.Arbitrary<Telegram> = fc.record(
  Object.fromEntries(
    telegramLayout.map((field) => {
      if (field.values) return [field.name, fc.constantFrom(...field.values)];
      if (field.kind === 'numeric') return [field.name, fc.integer({ min: 0, max: 10 ** field.length - 1 })];
      if (field.kind === 'alpha') return [field.name, alpha(field.length)];
      return [field.name, hangul(field.length)];
    }),
  ) as { [K in keyof Telegram]: fc.Arbitrary<Telegram[K]> },
);

function encoded(telegram: Telegram): Buffer {
  const result = telegramCodec.encode(telegram);
  if (!result.ok) throw new Error(`encode failed: ${result.error.message}`);
  return result.frame;
}

const sample = blankTelegram({
  messageType: '0200',
  traceNumber: 42,
  orderId: '3f2b8c1e-9d4a-4c6e-8b1f-2a7d5e9c0b13',
  amount: 12_900,
  currency: 'KRW',
  cardToken: 'tok_Xq3v9LkP0aZ2mB7cR4sT',
  merchantName: '오더사가 온라인 스토어',
});

test('the layout is contiguous and the header is followed by the body', (t) => {
  let offset = 0;
  for (const field of telegramLayout) {
    t.is(field.offset, offset, field.name);
    offset += field.length;
  }
  t.is(TELEGRAM_LENGTH, offset);
  t.is(FRAME_LENGTH, LENGTH_PREFIX_BYTES + TELEGRAM_LENGTH);
  t.is(fieldNamed('traceparent').length, 55);
  t.is(fieldNamed('orderId').length, 36);
  t.is(fieldNamed('amount').length, 12);
  t.is(fieldNamed('merchantId').offset, HEADER_LENGTH);
});

test('property: decode(encode(x)) = x for any valid telegram, Korean text included', (t) => {
  fc.assert(
    fc.property(telegramArbitrary, (telegram) => {
      const decoded = telegramCodec.decode(encoded(telegram));
      return decoded.ok && JSON.stringify(decoded.telegram) === JSON.stringify(telegram);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: every frame declares exactly the bytes that follow its prefix', (t) => {
  fc.assert(
    fc.property(telegramArbitrary, (telegram) => {
      const frame = encoded(telegram);
      const declared = Number(frame.toString('latin1', 0, LENGTH_PREFIX_BYTES));
      return frame.length === FRAME_LENGTH && declared === frame.length - LENGTH_PREFIX_BYTES;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: random bytes never throw, as a frame, as a payload or as a stream', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: FRAME_LENGTH + 20 }), (bytes) => {
      const frame = telegramCodec.decode(bytes);
      const payload = telegramCodec.decodePayload(bytes);
      const events = new TelegramFramer(1024).push(Buffer.from(bytes));
      return typeof frame.ok === 'boolean' && typeof payload.ok === 'boolean' && Array.isArray(events);
    }),
    { numRuns: 2_000 },
  );
  t.pass();
});

test('property: a valid frame with any bytes overwritten decodes or reports an error, never throws', (t) => {
  fc.assert(
    fc.property(
      telegramArbitrary,
      fc.array(fc.record({ at: fc.nat({ max: FRAME_LENGTH - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
      (telegram, changes) => {
        const frame = Buffer.from(encoded(telegram));
        for (const change of changes) frame[change.at] = change.byte;
        const result = telegramCodec.decode(frame);
        return result.ok || typeof result.error.message === 'string';
      },
    ),
    { numRuns: 1_000 },
  );
  t.pass();
});

test('property: however a stream of frames is cut into reads, the framer yields the same frames', (t) => {
  fc.assert(
    fc.property(
      fc.array(telegramArbitrary, { minLength: 1, maxLength: 5 }),
      fc.array(fc.nat({ max: FRAME_LENGTH * 5 }), { maxLength: 10 }),
      (telegrams, cuts) => {
        const stream = Buffer.concat(telegrams.map(encoded));
        const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
        const framer = new TelegramFramer(1024);
        const decoded: Telegram[] = [];
        let previous = 0;
        for (const point of [...points, stream.length]) {
          for (const event of framer.push(stream.subarray(previous, point))) {
            if (event.kind !== 'frame') return false;
            const result = telegramCodec.decodePayload(event.payload);
            if (!result.ok) return false;
            decoded.push(result.telegram);
          }
          previous = point;
        }
        return JSON.stringify(decoded) === JSON.stringify(telegrams) && framer.bufferedBytes === 0;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('numbers are zero-padded left, text space-padded right, Korean in EUC-KR bytes', (t) => {
  const frame = encoded(sample);
  const at = (name: Parameters<typeof fieldNamed>[0]) => {
    const field = fieldNamed(name);
    return frame.subarray(LENGTH_PREFIX_BYTES + field.offset, LENGTH_PREFIX_BYTES + field.offset + field.length);
  };
  t.is(frame.toString('latin1', 0, 4), String(TELEGRAM_LENGTH).padStart(4, '0'));
  t.is(at('amount').toString('latin1'), '000000012900');
  t.is(at('traceNumber').toString('latin1'), '0000000042');
  t.is(at('currency').toString('latin1'), 'KRW');
  t.is(at('merchantId').toString('latin1'), ' '.repeat(10));
  const name = iconv.encode('오더사가 온라인 스토어', 'euc-kr');
  t.is(name.length, 22, 'ten syllables of two bytes and two spaces');
  t.deepEqual(at('merchantName'), Buffer.concat([name, Buffer.alloc(40 - 22, 0x20)]));
  t.deepEqual([...at('merchantName').subarray(0, 2)], [0xbf, 0xc0], '오 in EUC-KR, not UTF-8');
});

test('over-long Korean text is cut on a character boundary, never inside a 2-byte character', (t) => {
  for (const [text, kept] of [
    ['가'.repeat(25), '가'.repeat(20)],
    [`a${'가'.repeat(25)}`, `a${'가'.repeat(19)}`],
    [`ab${'가'.repeat(25)}`, `ab${'가'.repeat(19)}`],
  ] as const) {
    const decoded = telegramCodec.decode(encoded({ ...sample, merchantName: text }));
    t.true(decoded.ok);
    if (decoded.ok) t.is(decoded.telegram.merchantName, kept);
  }
});

test('text EUC-KR cannot write is refused when encoding', (t) => {
  for (const merchantName of ['똠방각하', 'café', '😀', 'tab\there']) {
    const result = telegramCodec.encode({ ...sample, merchantName });
    t.like(result, { ok: false, error: { code: 'bad_encoding', field: 'merchantName' } }, merchantName);
  }
});

test('values that do not fit their field are refused when encoding', (t) => {
  const cases: [Partial<Telegram>, string][] = [
    [{ amount: 10 ** 12 }, 'amount'],
    [{ amount: -1 }, 'amount'],
    [{ amount: 1.5 }, 'amount'],
    [{ orderId: 'x'.repeat(37) }, 'orderId'],
    [{ orderId: '주문' }, 'orderId'],
    [{ messageType: '0300' as MessageType }, 'messageType'],
  ];
  for (const [change, field] of cases) {
    t.like(telegramCodec.encode({ ...sample, ...change }), { ok: false, error: { code: 'bad_field', field } }, field);
  }
});

test('malformed frames are typed errors that carry the trace number when it is readable', (t) => {
  const frame = encoded(sample);
  const payload = frame.subarray(LENGTH_PREFIX_BYTES);

  t.like(telegramCodec.decode(Buffer.from('12ab')), { ok: false, error: { code: 'bad_length_prefix' } });
  t.like(telegramCodec.decode(Buffer.from('01')), { ok: false, error: { code: 'bad_length_prefix' } });
  t.like(telegramCodec.decode(frame.subarray(0, 150)), {
    ok: false,
    error: { code: 'frame_too_short', traceNumber: 42, messageType: '0200' },
  });
  t.like(telegramCodec.decodePayload(Buffer.concat([payload, Buffer.from('xx')])), {
    ok: false,
    error: { code: 'frame_too_long', traceNumber: 42 },
  });
  t.like(telegramCodec.decodePayload(payload.subarray(0, 8)), { ok: false, error: { code: 'frame_too_short' } });

  const unknownType = Buffer.from(payload);
  unknownType.write('0300', fieldNamed('messageType').offset, 'latin1');
  t.like(telegramCodec.decodePayload(unknownType), { ok: false, error: { code: 'unknown_message_type', traceNumber: 42 } });

  const letterInAmount = Buffer.from(payload);
  letterInAmount.write('A', fieldNamed('amount').offset, 'latin1');
  t.like(telegramCodec.decodePayload(letterInAmount), {
    ok: false,
    error: { code: 'bad_field', field: 'amount', traceNumber: 42, messageType: '0200' },
  });

  const badEucKr = Buffer.from(payload);
  badEucKr[fieldNamed('merchantName').offset] = 0xb0;
  badEucKr[fieldNamed('merchantName').offset + 1] = 0x20;
  t.like(telegramCodec.decodePayload(badEucKr), { ok: false, error: { code: 'bad_encoding', field: 'merchantName' } });

  const utf8Name = Buffer.from(payload);
  Buffer.from('가나', 'utf8').copy(utf8Name, fieldNamed('merchantName').offset);
  t.like(telegramCodec.decodePayload(utf8Name), { ok: false, error: { code: 'bad_encoding' } });

  const controlInOrder = Buffer.from(payload);
  controlInOrder[fieldNamed('orderId').offset] = 0x0a;
  t.like(telegramCodec.decodePayload(controlInOrder), { ok: false, error: { code: 'bad_field', field: 'orderId' } });

  const garbageTrace = Buffer.from(payload);
  garbageTrace.write('12345abcde', fieldNamed('traceNumber').offset, 'latin1');
  const result = telegramCodec.decodePayload(garbageTrace);
  t.false(result.ok);
  if (!result.ok) t.is(result.error.traceNumber, undefined);
});

test('the framer stops at a non-digit length or a frame over its limit', (t) => {
  const good = encoded(sample);
  const framer = new TelegramFramer(1024);
  const events = framer.push(Buffer.concat([good, Buffer.from('GET / HTTP/1.1\r\n')]));
  t.is(events.length, 2);
  t.is(events[0]?.kind, 'frame');
  t.like(events[1], { kind: 'fatal', error: { code: 'bad_length_prefix' } });
  t.deepEqual(framer.push(good), [], 'a broken stream yields nothing more');

  t.like(new TelegramFramer(1024).push(Buffer.from('9999')), [{ kind: 'fatal', error: { code: 'frame_over_limit' } }]);
  t.deepEqual(new TelegramFramer(1024).push(Buffer.from('0999')), [], 'a frame under the limit waits for its bytes');
});

test('every message type is encodable', (t) => {
  for (const messageType of messageTypes) {
    const decoded = telegramCodec.decode(encoded(blankTelegram({ messageType, traceNumber: 1 })));
    t.like(decoded, { ok: true, telegram: { messageType } });
  }
});
