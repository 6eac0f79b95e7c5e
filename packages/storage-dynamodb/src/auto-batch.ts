/**
 * Same-tick auto-batching: the single writes (puts and deletes) issued in one tick go out as one
 * BatchWriteItem (≤ 25), the single reads as one BatchGetItem (≤ 100) — the AWS SDK spends about
 * half a millisecond of CPU per request, so requests saved are where the speed is. A lone call
 * uses the single-item request, so latency at concurrency 1 is unchanged.
 *
 * DynamoDB refuses two requests on one item in a batch: reads of one item share a key; a second
 * write to an item waits for the batch and goes in the next one (issue order is kept). A batch
 * that fails with what may be one item's fault (a validation error names no item) is resent item
 * by item, so each caller gets its own outcome; a failure all items share (endpoint gone, timeout,
 * throttling) fails them all at once.
 */
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { TickBatcher, type BatchedCall } from '@connector-kit/connector-core';
import {
  BATCH_GET_LIMIT,
  BATCH_WRITE_LIMIT,
  type BatchRunner,
  type Deadline,
  type Projection,
} from './batch';
import type { Deadlines } from './deadline';
import type { Item } from './item-shape';
import { mayBeItemSpecific } from './sdk-errors';

export interface WriteCall {
  /** The partition key value the request is for. */
  storageKey: string;
  request: WriteRequest;
}

/** The single-item requests the batches fall back to, and the batch runner. */
export interface AutoBatchTarget {
  batches: BatchRunner;
  deadlines: Deadlines;
  /** PutItem or DeleteItem for one request. */
  writeOne(request: WriteRequest, deadline: Deadline): Promise<void>;
  /** GetItem for one partition key value; undefined when there is no item. */
  readOne(
    storageKey: string,
    projection: Projection | undefined,
    deadline: Deadline,
  ): Promise<Item | undefined>;
}

type ReadCall = BatchedCall<string, Item | undefined>;
type WriteBatchCall = BatchedCall<WriteCall, void>;

export class AutoBatcher {
  private readonly writes: TickBatcher<WriteCall, void>;
  private readonly gets: TickBatcher<string, Item | undefined>;
  private readonly heads: TickBatcher<string, Item | undefined>;

  constructor(
    private readonly target: AutoBatchTarget,
    headProjection: Projection,
  ) {
    this.writes = new TickBatcher(
      (calls) => this.flushWrites(calls, target.deadlines.next()),
      BATCH_WRITE_LIMIT,
    );
    this.gets = new TickBatcher((calls) => this.flushReads(calls, undefined), BATCH_GET_LIMIT);
    this.heads = new TickBatcher((calls) => this.flushReads(calls, headProjection), BATCH_GET_LIMIT);
  }

  write(call: WriteCall): Promise<void> {
    return this.writes.add(call);
  }

  /** The whole item of a partition key value, or undefined. */
  get(storageKey: string): Promise<Item | undefined> {
    return this.gets.add(storageKey);
  }

  /** The item with only the head projection's attributes, or undefined. */
  head(storageKey: string): Promise<Item | undefined> {
    return this.heads.add(storageKey);
  }

  private async flushWrites(calls: WriteBatchCall[], deadline: Deadline): Promise<void> {
    if (calls.length === 1) {
      // The common case at low concurrency: exactly the request a lone write makes, no grouping.
      const call = calls[0]!;
      return this.target.writeOne(call.input.request, deadline).then(call.resolve, call.reject);
    }
    const batch: WriteBatchCall[] = [];
    const later: WriteBatchCall[] = [];
    const seen = new Set<string>();
    for (const call of calls) {
      if (seen.has(call.input.storageKey)) later.push(call);
      else {
        seen.add(call.input.storageKey);
        batch.push(call);
      }
    }
    if (batch.length === 1) {
      await this.writeEach(batch, deadline);
    } else {
      try {
        await this.target.batches.write(
          batch.map((call) => call.input.request),
          deadline,
        );
        for (const call of batch) call.resolve();
      } catch (err) {
        if (mayBeItemSpecific(err)) await this.writeEach(batch, deadline);
        else for (const call of batch) call.reject(err);
      }
    }
    if (later.length > 0) await this.flushWrites(later, deadline);
  }

  private async writeEach(calls: WriteBatchCall[], deadline: Deadline): Promise<void> {
    await Promise.all(
      calls.map((call) => this.target.writeOne(call.input.request, deadline).then(call.resolve, call.reject)),
    );
  }

  private async flushReads(calls: ReadCall[], projection: Projection | undefined): Promise<void> {
    const deadline = this.target.deadlines.next();
    if (calls.length === 1) {
      // The common case at low concurrency: exactly the request a lone read makes.
      const call = calls[0]!;
      return this.target.readOne(call.input, projection, deadline).then(call.resolve, call.reject);
    }
    // Several callers may ask for one item in a tick: one key in the batch answers them all.
    const waiting = new Map<string, ReadCall[]>();
    for (const call of calls) {
      const same = waiting.get(call.input);
      if (same) same.push(call);
      else waiting.set(call.input, [call]);
    }
    if (waiting.size > 1) {
      try {
        const found = await this.target.batches.getByKey(waiting.keys(), deadline, projection);
        for (const [sk, same] of waiting) for (const call of same) call.resolve(found.get(sk));
        return;
      } catch (err) {
        if (!mayBeItemSpecific(err)) {
          for (const call of calls) call.reject(err);
          return;
        }
      }
    }
    await Promise.all(
      [...waiting].map(([sk, same]) =>
        this.target.readOne(sk, projection, deadline).then(
          (item) => same.forEach((call) => call.resolve(item)),
          (err: unknown) => same.forEach((call) => call.reject(err)),
        ),
      ),
    );
  }
}
