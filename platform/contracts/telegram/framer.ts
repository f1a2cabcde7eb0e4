/**
 * Cuts a TCP byte stream into telegrams. TCP keeps no message boundaries: one read may hold half a
 * frame or several, so bytes wait here until a whole frame (length prefix + declared bytes) is in.
 */
import { LENGTH_PREFIX_BYTES } from './layout.js';
import { readLengthPrefix, type TelegramError } from './codec.js';

export type FramerEvent =
  /** The bytes after a length prefix. Their length is whatever the prefix declared; the codec judges it. */
  | { kind: 'frame'; payload: Buffer }
  /** The stream cannot be read any further (no way to find the next frame); close the connection. */
  | { kind: 'fatal'; error: TelegramError };

export class TelegramFramer {
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  /** @param maxPayloadBytes a declared length above this ends the stream instead of being buffered */
  constructor(private readonly maxPayloadBytes: number) {}

  /** Bytes held back waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): FramerEvent[] {
    if (this.broken) return [];
    const buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const events: FramerEvent[] = [];
    let offset = 0;
    while (buffer.length - offset >= LENGTH_PREFIX_BYTES) {
      const declared = readLengthPrefix(buffer, offset);
      if (declared === undefined) {
        return this.fail(events, {
          code: 'bad_length_prefix',
          message: `length prefix ${JSON.stringify(buffer.toString('latin1', offset, offset + LENGTH_PREFIX_BYTES))} is not 4 ASCII digits`,
        });
      }
      if (declared > this.maxPayloadBytes) {
        return this.fail(events, {
          code: 'frame_over_limit',
          message: `a frame declares ${declared} bytes, more than the ${this.maxPayloadBytes} accepted`,
        });
      }
      const end = offset + LENGTH_PREFIX_BYTES + declared;
      if (end > buffer.length) break;
      events.push({ kind: 'frame', payload: buffer.subarray(offset + LENGTH_PREFIX_BYTES, end) });
      offset = end;
    }
    // Copied, so a small remainder does not pin a large read buffer in memory.
    this.pending = offset === buffer.length ? Buffer.alloc(0) : Buffer.from(buffer.subarray(offset));
    return events;
  }

  private fail(events: FramerEvent[], error: TelegramError): FramerEvent[] {
    this.broken = true;
    this.pending = Buffer.alloc(0);
    events.push({ kind: 'fatal', error });
    return events;
  }
}
