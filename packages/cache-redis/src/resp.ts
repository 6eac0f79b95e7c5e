import { Command } from 'ioredis';
import { FORMAT_MARKER } from './record-format';

/**
 * Encodes a whole command in the Redis protocol (RESP) into ONE buffer: the array header, then
 * each argument as a bulk string. A batch of 64 sets is one MSET of 128 arguments; ioredis would
 * build it from ~500 small pieces (each measured and copied on its own) and, with text values,
 * re-encode the lot. Here every argument is measured once and written once, and a record's bytes
 * are copied straight from the codec's output.
 */

/** A record argument: written as the stored shape `v<version>:<data>` (see record-format). */
export interface RecordArgument {
  readonly version: number;
  readonly data: Uint8Array;
}

/** Keys and other text are UTF-8; records are header plus bytes. */
export type Argument = string | RecordArgument;

const CR = 0x0d;
const LF = 0x0a;
const MARKER = FORMAT_MARKER.charCodeAt(0);
const COLON = 0x3a;

function digitCount(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/** Writes a non-negative integer in decimal ASCII; returns the new offset. */
function writeDigits(target: Buffer, offset: number, n: number): number {
  const end = offset + digitCount(n);
  let at = end;
  do {
    target[--at] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

function recordHeaderBytes(version: number): number {
  return 2 + (version < 0 ? 1 : 0) + digitCount(Math.abs(version));
}

/** Bytes of one bulk string carrying `length` bytes: `$<length>\r\n<bytes>\r\n`. */
function bulkBytes(length: number): number {
  return 1 + digitCount(length) + 2 + length + 2;
}

/** Encodes `name arg1 arg2 …` as one RESP array. */
export function encodeCommand(name: string, args: readonly Argument[]): Buffer {
  const lengths = new Array<number>(args.length);
  let total = 1 + digitCount(args.length + 1) + 2 + bulkBytes(name.length);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const length =
      typeof arg === 'string'
        ? Buffer.byteLength(arg, 'utf8')
        : recordHeaderBytes(arg.version) + arg.data.byteLength;
    lengths[i] = length;
    total += bulkBytes(length);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  out[at++] = 0x2a; // *
  at = writeDigits(out, at, args.length + 1);
  out[at++] = CR;
  out[at++] = LF;
  at = writeBulkHeader(out, at, name.length);
  at += out.write(name, at, 'latin1');
  out[at++] = CR;
  out[at++] = LF;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    at = writeBulkHeader(out, at, lengths[i]!);
    if (typeof arg === 'string') {
      at += out.write(arg, at, 'utf8');
    } else {
      out[at++] = MARKER;
      if (arg.version < 0) out[at++] = 0x2d; // -
      at = writeDigits(out, at, Math.abs(arg.version));
      out[at++] = COLON;
      out.set(arg.data, at);
      at += arg.data.byteLength;
    }
    out[at++] = CR;
    out[at++] = LF;
  }
  return out;
}

function writeBulkHeader(out: Buffer, at: number, length: number): number {
  out[at++] = 0x24; // $
  at = writeDigits(out, at, length);
  out[at++] = CR;
  out[at++] = LF;
  return at;
}

/**
 * An ioredis command whose bytes were encoded beforehand. ioredis still does everything else —
 * queueing, matching the reply, pipelines — and hands replies back as Buffers.
 */
export class EncodedCommand extends Command {
  constructor(
    name: string,
    private readonly payload: Buffer,
  ) {
    super(name, [], { replyEncoding: null });
  }

  override toWritable(): Buffer {
    return this.payload;
  }
}
