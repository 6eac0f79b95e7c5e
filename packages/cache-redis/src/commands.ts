import type { ReadRecord } from '@connector-kit/connector-core';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { decodeRecord, decodeVersion, HEADER_LAST_BYTE } from './record-format';
import type { CasRequest, ReadRequest, WriteRequest } from './requests';
import type { PipelineScriptCommands, ScriptCommands } from './scripts';

export type Client = Redis | Cluster;

/**
 * One Redis command planned by the batcher: it can be sent on its own or queued into a pipeline,
 * and it hands its reply (or error) to the requests it serves.
 */
export interface PlannedCommand {
  send(client: Client): Promise<unknown>;
  queue(pipeline: ChainableCommander): void;
  settle(err: Error | null, reply: unknown): void;
}

/** Where each key of a multi-key command goes: request and result index. */
export class KeyTargets<R> {
  readonly keys: string[] = [];
  readonly requests: R[] = [];
  readonly indexes: number[] = [];
  /** The stored values, for writes. */
  readonly values: Buffer[] = [];

  add(key: string, request: R, index: number, value?: Buffer): void {
    this.keys.push(key);
    this.requests.push(request);
    this.indexes.push(index);
    if (value !== undefined) this.values.push(value);
  }

  get size(): number {
    return this.keys.length;
  }
}

function failAll(requests: readonly { fail(err: unknown): void }[], err: unknown): void {
  for (const request of requests) request.fail(err);
}

/** MGET: values of many keys of one slot. */
export class MGetCommand implements PlannedCommand {
  constructor(private readonly targets: KeyTargets<ReadRequest<ReadRecord | null>>) {}

  send(client: Client): Promise<unknown> {
    return client.mgetBuffer(this.targets.keys);
  }

  queue(pipeline: ChainableCommander): void {
    pipeline.mgetBuffer(this.targets.keys);
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
  constructor(private readonly targets: KeyTargets<ReadRequest<number | null>>) {}

  send(client: Client): Promise<unknown> {
    const { keys } = this.targets;
    if (keys.length === 1) return client.getrangeBuffer(keys[0]!, 0, HEADER_LAST_BYTE);
    return (client as unknown as ScriptCommands).connectorKitHeadersBuffer(keys.length, ...keys);
  }

  queue(pipeline: ChainableCommander): void {
    const { keys } = this.targets;
    if (keys.length === 1) pipeline.getrangeBuffer(keys[0]!, 0, HEADER_LAST_BYTE);
    else (pipeline as unknown as PipelineScriptCommands).connectorKitHeadersBuffer(keys.length, ...keys);
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
          request.result[indexes[i]!] = decodeVersion(header);
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
 * Writes many records of one slot without expiry: SET for one, MSET for several. (Named ioredis
 * methods throughout: `callBuffer` breaks under Cluster auto-pipelining.)
 */
export class MSetCommand implements PlannedCommand {
  constructor(private readonly targets: KeyTargets<WriteRequest>) {}

  private args(): (string | Buffer)[] {
    const { keys, values } = this.targets;
    const args: (string | Buffer)[] = new Array<string | Buffer>(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      args[2 * i] = keys[i]!;
      args[2 * i + 1] = values[i]!;
    }
    return args;
  }

  send(client: Client): Promise<unknown> {
    const { keys, values } = this.targets;
    return keys.length === 1 ? client.set(keys[0]!, values[0]!) : client.mset(...this.args());
  }

  queue(pipeline: ChainableCommander): void {
    const { keys, values } = this.targets;
    if (keys.length === 1) pipeline.set(keys[0]!, values[0]!);
    else pipeline.mset(...this.args());
  }

  settle(err: Error | null): void {
    const { requests } = this.targets;
    if (err) return failAll(requests, err);
    for (const request of requests) request.partDone();
  }
}

/** One record with an expiry: SET key value PX ttl (one atomic write of version and data). */
export class SetWithTtlCommand implements PlannedCommand {
  constructor(
    private readonly key: string,
    private readonly value: Buffer,
    private readonly ttlMs: number,
    private readonly request: WriteRequest,
  ) {}

  send(client: Client): Promise<unknown> {
    return client.set(this.key, this.value, 'PX', this.ttlMs);
  }

  queue(pipeline: ChainableCommander): void {
    pipeline.set(this.key, this.value, 'PX', this.ttlMs);
  }

  settle(err: Error | null): void {
    if (err) this.request.fail(err);
    else this.request.partDone();
  }
}

/** DEL of many keys of one slot. */
export class DeleteCommand implements PlannedCommand {
  constructor(private readonly targets: KeyTargets<WriteRequest>) {}

  send(client: Client): Promise<unknown> {
    return client.del(this.targets.keys);
  }

  queue(pipeline: ChainableCommander): void {
    pipeline.del(this.targets.keys);
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
    private readonly expectedHeader: Buffer,
    private readonly value: Buffer,
    private readonly ttlMs: number,
    private readonly request: CasRequest,
  ) {}

  send(client: Client): Promise<unknown> {
    return (client as unknown as ScriptCommands).connectorKitCompareAndSet(this.key, this.expectedHeader, this.value, this.ttlMs);
  }

  queue(pipeline: ChainableCommander): void {
    (pipeline as unknown as PipelineScriptCommands).connectorKitCompareAndSet(this.key, this.expectedHeader, this.value, this.ttlMs);
  }

  settle(err: Error | null, reply: unknown): void {
    if (err) this.request.reject(err);
    else this.request.resolve(Number(reply) === 1);
  }
}
