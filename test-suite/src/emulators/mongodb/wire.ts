/**
 * The MongoDB wire protocol, as much of it as a modern driver uses: message framing, OP_MSG (2013)
 * with a body section (kind 0) and document sequences (kind 1) and the optional CRC-32C checksum,
 * legacy OP_QUERY (2004) for the first handshake, and OP_REPLY (1) to answer it.
 */
import { BSON, type Document } from 'bson';
import { normaliseValue } from './values';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;
export const MSG_EXHAUST_ALLOWED = 1 << 16;
/** Bits 0–15 are "required": a receiver must reject unknown ones (bits 16–31 may be ignored). */
const MSG_KNOWN_REQUIRED_BITS = MSG_CHECKSUM_PRESENT | MSG_MORE_TO_COME;

const HEADER_BYTES = 16;

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export interface OpMsgRequest {
  kind: 'msg';
  header: MessageHeader;
  flags: number;
  /** The kind-0 section with each kind-1 sequence merged in under its identifier. */
  command: Document;
}

export interface OpQueryRequest {
  kind: 'query';
  header: MessageHeader;
  flags: number;
  fullCollectionName: string;
  numberToSkip: number;
  numberToReturn: number;
  query: Document;
}

export interface UnsupportedRequest {
  kind: 'unsupported';
  header: MessageHeader;
}

export type Request = OpMsgRequest | OpQueryRequest | UnsupportedRequest;

/** The connection is beyond repair (bad framing); the server closes it. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** A well-framed message whose content is invalid; answered with an error reply. */
export class MessageParseError extends Error {
  override readonly name = 'MessageParseError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const deserializeOptions = { promoteValues: false, bsonRegExp: true } as const;

/** Decodes one BSON document keeping every value's BSON type (int32 stays Int32, and so on). */
export function decodeDocument(bytes: Uint8Array): Document {
  return normaliseValue(BSON.deserialize(bytes, deserializeOptions)) as Document;
}

export function encodeDocument(doc: Document): Buffer {
  const bytes = BSON.serialize(doc, { checkKeys: false, ignoreUndefined: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Splits a TCP byte stream into whole messages. */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxMessageBytes: number) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const length = head.readInt32LE(0);
      if (length < HEADER_BYTES || length > this.maxMessageBytes) {
        throw new ProtocolError(`invalid message length ${length}`);
      }
      if (this.buffered < length) break;
      out.push(this.take(length));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const message = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return message;
  }
}

function readHeader(message: Buffer): MessageHeader {
  return {
    messageLength: message.readInt32LE(0),
    requestId: message.readInt32LE(4),
    responseTo: message.readInt32LE(8),
    opCode: message.readInt32LE(12),
  };
}

/** Reads a BSON document at `offset`, checking that it fits before `end`. */
function readDocumentAt(message: Buffer, offset: number, end: number): { doc: Document; next: number } {
  if (offset + 5 > end) throw new MessageParseError(22, 'truncated BSON document in message');
  const size = message.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new MessageParseError(22, 'BSON document overruns its section');
  try {
    return { doc: decodeDocument(message.subarray(offset, offset + size)), next: offset + size };
  } catch (err) {
    throw new MessageParseError(22, `invalid BSON: ${(err as Error).message}`);
  }
}

function readCString(message: Buffer, offset: number, end: number): { value: string; next: number } {
  const zero = message.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new MessageParseError(9, 'unterminated C string in message');
  return { value: message.toString('utf8', offset, zero), next: zero + 1 };
}

export function parseMessage(message: Buffer): Request {
  const header = readHeader(message);
  if (header.opCode === OP_MSG) return parseOpMsg(message, header);
  if (header.opCode === OP_QUERY) return parseOpQuery(message, header);
  return { kind: 'unsupported', header };
}

function parseOpMsg(message: Buffer, header: MessageHeader): OpMsgRequest {
  if (message.length < HEADER_BYTES + 5) throw new ProtocolError('OP_MSG too short');
  const flags = message.readUInt32LE(16);
  const unknownRequired = flags & 0xffff & ~MSG_KNOWN_REQUIRED_BITS;
  if (unknownRequired !== 0) {
    throw new ProtocolError(`OP_MSG has unknown required flag bits 0x${unknownRequired.toString(16)}`);
  }
  let end = message.length;
  if (flags & MSG_CHECKSUM_PRESENT) {
    end -= 4;
    if (end < HEADER_BYTES + 5) throw new ProtocolError('OP_MSG too short for its checksum');
    const expected = message.readUInt32LE(end);
    const actual = crc32c(message.subarray(0, end));
    if (expected !== actual) throw new ProtocolError('OP_MSG checksum mismatch');
  }
  let offset = 20;
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  while (offset < end) {
    const kind = message[offset++];
    if (kind === 0) {
      if (body) throw new MessageParseError(40430, 'Multiple body sections in message');
      const read = readDocumentAt(message, offset, end);
      body = read.doc;
      offset = read.next;
    } else if (kind === 1) {
      if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolError('document sequence overruns the message');
      const id = readCString(message, offset + 4, sectionEnd);
      const docs: Document[] = [];
      let at = id.next;
      while (at < sectionEnd) {
        const read = readDocumentAt(message, at, sectionEnd);
        docs.push(read.doc);
        at = read.next;
      }
      sequences.push([id.value, docs]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new MessageParseError(40587, 'OP_MSG messages must have a body');
  for (const [id, docs] of sequences) {
    if (Object.prototype.hasOwnProperty.call(body, id)) {
      throw new MessageParseError(40433, `Duplicate field ${id}`);
    }
    body[id] = docs;
  }
  return { kind: 'msg', header, flags, command: body };
}

function parseOpQuery(message: Buffer, header: MessageHeader): OpQueryRequest {
  const end = message.length;
  if (end < HEADER_BYTES + 4) throw new ProtocolError('OP_QUERY too short');
  const flags = message.readInt32LE(16);
  const name = readCString(message, 20, end);
  if (name.next + 8 > end) throw new ProtocolError('OP_QUERY too short');
  const numberToSkip = message.readInt32LE(name.next);
  const numberToReturn = message.readInt32LE(name.next + 4);
  const query = readDocumentAt(message, name.next + 8, end).doc;
  return {
    kind: 'query',
    header,
    flags,
    fullCollectionName: name.value,
    numberToSkip,
    numberToReturn,
    query,
  };
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeInt32LE(length, 0);
  out.writeInt32LE(nextRequestId, 4);
  nextRequestId = nextRequestId >= 0x7fffffff ? 1 : nextRequestId + 1;
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(opCode, 12);
  return out;
}

/** An OP_MSG reply: flags 0 and one body section. */
export function encodeOpMsgReply(responseTo: number, reply: Document): Buffer {
  const body = encodeDocument(reply);
  const flagsAndKind = Buffer.alloc(5);
  return Buffer.concat([header(HEADER_BYTES + 5 + body.length, responseTo, OP_MSG), flagsAndKind, body]);
}

/** An OP_REPLY with one document (the answer to a legacy OP_QUERY command). */
export function encodeOpReply(responseTo: number, reply: Document): Buffer {
  const body = encodeDocument(reply);
  const fields = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  fields.writeInt32LE(1, 16);
  return Buffer.concat([header(HEADER_BYTES + 20 + body.length, responseTo, OP_REPLY), fields, body]);
}

/** Builds an OP_MSG request (for tests that talk to the emulator without a driver). */
export function encodeOpMsgRequest(
  requestId: number,
  body: Document,
  options: { sequences?: Record<string, Document[]>; checksum?: boolean; moreToCome?: boolean } = {},
): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), encodeDocument(body)];
  for (const [id, docs] of Object.entries(options.sequences ?? {})) {
    const payload = Buffer.concat([Buffer.from(`${id}\0`, 'utf8'), ...docs.map(encodeDocument)]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4, 0);
    parts.push(Buffer.from([1]), size, payload);
  }
  let flags = 0;
  if (options.checksum) flags |= MSG_CHECKSUM_PRESENT;
  if (options.moreToCome) flags |= MSG_MORE_TO_COME;
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeUInt32LE(flags >>> 0, 0);
  const sections = Buffer.concat(parts);
  const length = HEADER_BYTES + 4 + sections.length + (options.checksum ? 4 : 0);
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(OP_MSG, 12);
  const message = Buffer.concat([head, flagBytes, sections]);
  if (!options.checksum) return message;
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32c(message), 0);
  return Buffer.concat([message, sum]);
}

/** Builds a legacy OP_QUERY command request (for tests). */
export function encodeOpQueryRequest(requestId: number, fullCollectionName: string, query: Document): Buffer {
  const name = Buffer.from(`${fullCollectionName}\0`, 'utf8');
  const fields = Buffer.alloc(8);
  fields.writeInt32LE(-1, 4);
  const body = encodeDocument(query);
  const head = Buffer.alloc(HEADER_BYTES + 4);
  head.writeInt32LE(HEADER_BYTES + 4 + name.length + 8 + body.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(OP_QUERY, 12);
  return Buffer.concat([head, name, fields, body]);
}

/** Reads the single document of an OP_MSG or OP_REPLY reply, as a driver would (for tests). */
export function decodeReply(message: Buffer): Document {
  const { opCode } = readHeader(message);
  if (opCode === OP_MSG) return BSON.deserialize(message.subarray(21));
  if (opCode === OP_REPLY) return BSON.deserialize(message.subarray(36));
  throw new ProtocolError(`not a reply opcode: ${opCode}`);
}

let crcTable: Uint32Array | undefined;

/** CRC-32C (Castagnoli), the checksum OP_MSG uses. */
export function crc32c(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
