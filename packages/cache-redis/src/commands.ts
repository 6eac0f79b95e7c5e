import type { ReadRecord } from '@connector-kit/connector-core';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { decodeHeader, decodeRecord, encodeRecord, HEADER_LAST_BYTE } from './record-format';
import type { CasRequest, ReadRequest, WriteRequest } from './requests';
import { EncodedCommand, encodeCommand, type Argument, type RecordArgument } from './resp';
import { COMPARE_AND_SET_LUA, HEADERS_LUA, SET_WITH_TTL_LUA, type EvalBuffer } from './scripts';

export type Client = Redis | Cluster;

/**
 * One Redis command planned by the batcher: it can be sent on its own or queued into a pipeline,
 * and it hands its reply (or error) to the requests it serves.
 *
 * `encoded` commands carry their bytes ready-made (see resp.ts): used on a standalone connection
 * without an ioredis keyPrefix. Otherwise (a cluster, which routes by the arguments, or a
 * caller's client with a keyPrefix) the named ioredis methods are used.
 */
export interface PlannedCommand {
  /** Roughly how many bytes it sends (record data), to keep pipelines bounded. */
  readonly bytes: number;
  send(client: Client): Promise<unknown>;
  queue(pipeline: ChainableCommander): void;
  settle(err: Error | null, reply: unknown): void;
}

/** Where each key of a multi-key command goes: request and result index (and the record, for writes). */
export class KeyTargets<R> {
  readonly keys: string[] = [];
  readonly requests: R[] = [];
  readonly indexes: number[] = [];
  readonly records: RecordArgument[] = [];
  /** Sum of the records' data bytes. */
  bytes = 0;

  add(key: string, request: R, index: number, record?: RecordArgument): void {
    this.keys.push(key);
    this.requests.push(request);
    this.indexes.push(index);
    if (record !== undefined) {
      this.records.push(record);
      this.bytes += record.data.byteLength;
    }
  }

  get size(): number {
    return this.keys.length;
  }
}

function failAll(requests: readonly { fail(err: unknown): void }[], err: unknown): void {
  for (const request of requests) request.fail(err);
}

export function sendEncoded(client: Client, name: string, args: Argument[]): Promise<unknown> {
  const command = new EncodedCommand(name, encodeCommand(name.toUpperCase(), args));
  client.sendCommand(command);
  return command.promise as Promise<unknown>;
}

export function queueEncoded(pipeline: ChainableCommander, name: string, args: Argument[]): void {
  // A pipeline queues whatever command it is given (ioredis types leave sendCommand out here).
  (pipeline as unknown as Pick<Client, 'sendCommand'>).sendCommand(
    new EncodedCommand(name, encodeCommand(name.toUpperCase(), args)),
  );
}

/** The stored bytes of a record, for the named ioredis methods. */
export function storedBytes(record: RecordArgument): Buffer {
  return encodeRecord(record.version, record.data);
}

/** MGET: values of many keys of one slot. */
export class MGetCommand implements PlannedCommand {
  readonly bytes = 0;

  constructor(
    private readonly targets: KeyTargets<ReadRequest<ReadRecord | null>>,
    private readonly encoded: boolean,
  ) {}

  send(client: Client): Promise<unknown> {
    return this.encoded
      ? sendEncoded(client, 'mget', this.targets.keys)
      : client.mgetBuffer(this.targets.keys);
  }

  queue(pipeline: ChainableCommander): void {
    if (this.encoded) queueEncoded(pipeline, 'mget', this.targets.keys);
    else pipeline.mgetBuffer(this.targets.keys);
  }

  settle(err: Error | null, reply: unknown): void {
    const { requests, indexes } = this.targets;
    if (err) return failAll(requests, err);
    const values = reply as (Buffer | null)[];
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const stored = values[i];
      if (stored === null || stored === undefined) {
        request.result[indexes[i]!] = null;
      } else {
        try {
          request.result[indexes[i]!] = decodeRecord(stored);
        } catch (decodeError) {
          request.fail(decodeError);
          continue;
        }
      }
      request.partDone();
    }
  }
}

/** Versions of many keys of one slot: GETRANGE for one key, the headers script for several. */
export class HeadersCommand implements PlannedCommand {
  readonly bytes = 0;

  constructor(private readonly targets: KeyTargets<ReadRequest<number | null>>) {}

  send(client: Client): Promise<unknown> {
    const { keys } = this.targets;
    if (keys.length === 1) return client.getrangeBuffer(keys[0]!, 0, HEADER_LAST_BYTE);
    return (client as unknown as EvalBuffer<Promise<Buffer[]>>).evalBuffer(HEADERS_LUA, keys.length, ...keys);
  }

  queue(pipeline: ChainableCommander): void {
    const { keys } = this.targets;
    if (keys.length === 1) pipeline.getrangeBuffer(keys[0]!, 0, HEADER_LAST_BYTE);
    else (pipeline as unknown as EvalBuffer<unknown>).evalBuffer(HEADERS_LUA, keys.length, ...keys);
  }

  settle(err: Error | null, reply: unknown): void {
    const { requests, indexes } = this.targets;
    if (err) return failAll(requests, err);
    // GETRANGE answers one buffer, the script an array of them.
    const headers = Buffer.isBuffer(reply) ? [reply] : (reply as Buffer[]);
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const header = headers[i];
      if (header === undefined || header === null || header.length === 0) {
        request.result[indexes[i]!] = null;
      } else {
        try {
          request.result[indexes[i]!] = decodeHeader(header).version;
        } catch (decodeError) {
          request.fail(decodeError);
          continue;
        }
      }
      request.partDone();
    }
  }
}

/**
 * Writes many records of one slot without expiry: SET for one, MSET for several (MSET applies
 * its pairs left to right, so of two sets of one key the later wins).
 */
export class MSetCommand implements PlannedCommand {
  constructor(
    private readonly targets: KeyTargets<WriteRequest>,
    private readonly encoded: boolean,
  ) {}

  get bytes(): number {
    return this.targets.bytes;
  }

  private pairs(): Argument[] {
    const { keys, records } = this.targets;
    const args = new Array<Argument>(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      args[2 * i] = keys[i]!;
      args[2 * i + 1] = records[i]!;
    }
    return args;
  }

  private namedArgs(): (string | Buffer)[] {
    return this.pairs().map((arg) => (typeof arg === 'string' ? arg : storedBytes(arg)));
  }

  private get name(): string {
    return this.targets.size === 1 ? 'set' : 'mset';
  }

  send(client: Client): Promise<unknown> {
    if (this.encoded) return sendEncoded(client, this.name, this.pairs());
    const { keys, records } = this.targets;
    return keys.length === 1
      ? client.set(keys[0]!, storedBytes(records[0]!))
      : client.mset(...this.namedArgs());
  }

  queue(pipeline: ChainableCommander): void {
    if (this.encoded) return queueEncoded(pipeline, this.name, this.pairs());
    const { keys, records } = this.targets;
    if (keys.length === 1) pipeline.set(keys[0]!, storedBytes(records[0]!));
    else pipeline.mset(...this.namedArgs());
  }

  settle(err: Error | null): void {
    const { requests } = this.targets;
    if (err) return failAll(requests, err);
    for (const request of requests) request.partDone();
  }
}

/**
 * Records of one slot with one expiry: `SET key value PX ttl` for one, the set-with-TTL script
 * for several — each record is still one atomic SET of version and data.
 */
export class SetWithTtlCommand implements PlannedCommand {
  constructor(
    private readonly targets: KeyTargets<WriteRequest>,
    private readonly ttlMs: number,
    private readonly encoded: boolean,
  ) {}

  get bytes(): number {
    return this.targets.bytes;
  }

  private encodedArgs(): Argument[] {
    const { keys, records } = this.targets;
    if (keys.length === 1) return [keys[0]!, records[0]!, 'PX', String(this.ttlMs)];
    return [SET_WITH_TTL_LUA, String(keys.length), ...keys, ...records, String(this.ttlMs)];
  }

  private namedArgs(): [number, ...(string | Buffer | number)[]] {
    const { keys, records } = this.targets;
    return [keys.length, ...keys, ...records.map(storedBytes), this.ttlMs];
  }

  private get name(): string {
    return this.targets.size === 1 ? 'set' : 'eval';
  }

  send(client: Client): Promise<unknown> {
    if (this.encoded) return sendEncoded(client, this.name, this.encodedArgs());
    const { keys, records } = this.targets;
    if (keys.length === 1) return client.set(keys[0]!, storedBytes(records[0]!), 'PX', this.ttlMs);
    return client.eval(SET_WITH_TTL_LUA, ...this.namedArgs());
  }

  queue(pipeline: ChainableCommander): void {
    if (this.encoded) return queueEncoded(pipeline, this.name, this.encodedArgs());
    const { keys, records } = this.targets;
    if (keys.length === 1) {
      pipeline.set(keys[0]!, storedBytes(records[0]!), 'PX', this.ttlMs);
      return;
    }
    pipeline.eval(SET_WITH_TTL_LUA, ...this.namedArgs());
  }

  settle(err: Error | null): void {
    const { requests } = this.targets;
    if (err) return failAll(requests, err);
    for (const request of requests) request.partDone();
  }
}

/** DEL of many keys of one slot. */
export class DeleteCommand implements PlannedCommand {
  readonly bytes = 0;

  constructor(
    private readonly targets: KeyTargets<WriteRequest>,
    private readonly encoded: boolean,
  ) {}

  send(client: Client): Promise<unknown> {
    return this.encoded ? sendEncoded(client, 'del', this.targets.keys) : client.del(this.targets.keys);
  }

  queue(pipeline: ChainableCommander): void {
    if (this.encoded) queueEncoded(pipeline, 'del', this.targets.keys);
    else pipeline.del(this.targets.keys);
  }

  settle(err: Error | null): void {
    const { requests } = this.targets;
    if (err) return failAll(requests, err);
    for (const request of requests) request.partDone();
  }
}

/** Compare-and-set through the Lua script. */
export class CompareAndSetCommand implements PlannedCommand {
  constructor(
    private readonly key: string,
    private readonly expectedHeader: string,
    private readonly record: RecordArgument,
    private readonly ttlMs: number,
    private readonly request: CasRequest,
  ) {}

  get bytes(): number {
    return this.record.data.byteLength;
  }

  /** EVAL's arguments after the script: one key, then the expected header, record and TTL. */
  private evalArgs(): [number, string, string, Buffer, number] {
    return [1, this.key, this.expectedHeader, storedBytes(this.record), this.ttlMs];
  }

  send(client: Client): Promise<unknown> {
    return client.eval(COMPARE_AND_SET_LUA, ...this.evalArgs());
  }

  queue(pipeline: ChainableCommander): void {
    pipeline.eval(COMPARE_AND_SET_LUA, ...this.evalArgs());
  }

  settle(err: Error | null, reply: unknown): void {
    if (err) this.request.reject(err);
    else this.request.resolve(Number(reply) === 1);
  }
}
