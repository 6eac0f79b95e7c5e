/**
 * Bulk reads and writes within DynamoDB's batch limits: BatchGetItem takes 100 keys and may
 * answer only part of them (UnprocessedKeys: throttling, or the 16 MB response limit);
 * BatchWriteItem takes 25 requests and may leave some undone (UnprocessedItems). Leftovers are
 * retried with exponential backoff and full jitter until none are left or the operation's
 * deadline comes; then the call fails naming what was not done — never a silent partial success.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { ConnectorError } from '@connector-kit/connector-core';
import type { Item } from './item-shape';

export const BATCH_GET_LIMIT = 100;
export const BATCH_WRITE_LIMIT = 25;
const BACKOFF_BASE_MS = 20;
const BACKOFF_MAX_MS = 1000;

/** When the operation must be over, and the signal that aborts its requests then. */
export interface Deadline {
  at: number;
  signal: AbortSignal;
}

/** Runs one SDK call, mapping its errors (the connector's own wrapper). */
export type SdkCall = <T>(operation: string, send: () => Promise<T>) => Promise<T>;

export interface Projection {
  expression: string;
  names: Record<string, string>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits before retry `attempt`, or fails if the wait would pass the deadline. */
async function backoff(attempt: number, deadline: Deadline, describeLeft: () => string): Promise<void> {
  const delay = Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  if (Date.now() + delay >= deadline.at) {
    throw new ConnectorError(
      'TIMEOUT',
      `DynamoDB still left ${describeLeft()} unprocessed at the operation's deadline`,
    );
  }
  await sleep(delay);
}

/** Splits into chunks and works through them with at most `concurrency` in flight; stops at the first failure. */
async function inChunks<T>(
  items: readonly T[],
  size: number,
  concurrency: number,
  work: (chunk: T[]) => Promise<void>,
): Promise<void> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < chunks.length) {
      const chunk = chunks[next++]!;
      try {
        await work(chunk);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
}

export class BatchRunner {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly partitionKey: string,
    private readonly concurrency: number,
    private readonly consistentRead: boolean,
    private readonly call: SdkCall,
  ) {}

  /** Reads the items for distinct keys; missing keys simply have no item in the result. */
  private async get(keys: readonly Item[], deadline: Deadline, projection?: Projection): Promise<Item[]> {
    const found: Item[] = [];
    await inChunks(keys, BATCH_GET_LIMIT, this.concurrency, async (chunk) => {
      let request: KeysAndAttributes = { Keys: chunk, ConsistentRead: this.consistentRead };
      if (projection) {
        request.ProjectionExpression = projection.expression;
        request.ExpressionAttributeNames = projection.names;
      }
      for (let attempt = 0; ; attempt++) {
        const command = new BatchGetItemCommand({ RequestItems: { [this.table]: request } });
        const out = await this.call('BatchGetItem', () =>
          this.client.send(command, { abortSignal: deadline.signal }),
        );
        for (const item of out.Responses?.[this.table] ?? []) found.push(item);
        const left = out.UnprocessedKeys?.[this.table];
        if (!left?.Keys?.length) return;
        request = left;
        await backoff(
          attempt,
          deadline,
          () => `${left.Keys!.length} of ${chunk.length} keys of a BatchGetItem`,
        );
      }
    });
    return found;
  }

  /** The items of distinct partition key values, by that value (missing ones are absent). */
  async getByKey(
    storageKeys: Iterable<string>,
    deadline: Deadline,
    projection?: Projection,
  ): Promise<Map<string, Item>> {
    const keys: Item[] = [];
    for (const sk of storageKeys) keys.push({ [this.partitionKey]: { S: sk } });
    const found = new Map<string, Item>();
    for (const item of await this.get(keys, deadline, projection)) {
      const sk = item[this.partitionKey]?.S;
      if (sk !== undefined) found.set(sk, item);
    }
    return found;
  }

  /** Applies distinct-key put or delete requests. */
  async write(requests: readonly WriteRequest[], deadline: Deadline): Promise<void> {
    await inChunks(requests, BATCH_WRITE_LIMIT, this.concurrency, async (chunk) => {
      let pending: WriteRequest[] = chunk;
      for (let attempt = 0; ; attempt++) {
        const command = new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } });
        const out = await this.call('BatchWriteItem', () =>
          this.client.send(command, { abortSignal: deadline.signal }),
        );
        const left = out.UnprocessedItems?.[this.table];
        if (!left?.length) return;
        pending = left;
        await backoff(
          attempt,
          deadline,
          () => `${left.length} of ${chunk.length} writes of a BatchWriteItem`,
        );
      }
    });
  }
}
