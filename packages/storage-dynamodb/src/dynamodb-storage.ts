import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  BaseConnector,
  ConnectorError,
  resolveCodec,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';
import { AutoBatcher } from './auto-batch';
import { BatchRunner, type Deadline, type Projection, type SdkCall } from './batch';
import { createClient } from './client';
import { Deadlines } from './deadline';
import { ATTRIBUTES, ItemShape, maxValueBytesFor, type Item } from './item-shape';
import { mergeOptions, resolveSettings, type DynamoDBSettings, type DynamoDBStorageOptions } from './options';
import {
  isConditionalCheckFailed,
  isConfigurationError,
  isConnectionError,
  toConnectorError,
} from './sdk-errors';
import { TableManager } from './table';

export const VERSION = '0.1.0';

const RECOVERY_MIN_MS = 100;
const RECOVERY_MAX_MS = 2000;

/**
 * A storage connector on Amazon DynamoDB (or DynamoDB Local / dynalite): one item per key in a
 * table with a string partition key. URL: `dynamodb://region/table?endpoint=…&createTable=true#prefix`.
 * See item-shape.ts (and the README) for the stored item.
 */
export class DynamoDBStorage extends BaseConnector {
  /** The SDK client in use (created here, or the one passed in as `client`). */
  readonly client: DynamoDBClient;
  readonly table: string;
  private readonly settings: DynamoDBSettings;
  private readonly ownsClient: boolean;
  private readonly items: ItemShape;
  private readonly tables: TableManager;
  private readonly batches: BatchRunner;
  private readonly deadlines: Deadlines;
  /** Same-tick batching of single operations; null with `autoBatch: false`. */
  private readonly autoBatcher: AutoBatcher | null;
  /** Expression names for the partition key, version, expiry and original-key attributes. */
  private readonly names: Record<string, string>;
  private readonly versionProjection: Projection;
  private recovering = false;
  private recoveryTimer: NodeJS.Timeout | null = null;

  constructor(options: DynamoDBStorageOptions = {}) {
    const merged = mergeOptions(options);
    const settings = resolveSettings(merged);
    const codec = resolveCodec(merged.codec);
    const shape = {
      partitionKey: settings.partitionKey,
      ttlAttribute: settings.ttlAttribute,
      codec,
      valueFormat: settings.valueFormat,
    };
    const maxValueBytes = maxValueBytesFor(
      shape,
      Buffer.byteLength(settings.prefix, 'utf8'),
      settings.maxKeyBytes,
    );
    if (maxValueBytes < 1024) {
      throw new ConnectorError(
        'CONFIG',
        'The prefix and maxKeyBytes leave no room for values in a 400 KB DynamoDB item',
        {
          details: { field: 'maxKeyBytes' },
        },
      );
    }
    super(merged, {
      name: 'dynamodb',
      version: VERSION,
      supports: {
        ttl: true,
        ttlGranularityMs: 1000,
        bulk: true,
        compareAndSet: true,
        maxKeyBytes: settings.maxKeyBytes,
        maxValueBytes,
        persistent: true,
      },
      // Native items are built from record.value: take that copy while validating (an encoded
      // item stores the bytes only, so it needs no copy).
      readsValues: settings.valueFormat === 'native',
    });
    this.settings = settings;
    this.table = settings.table;
    this.ownsClient = settings.client === undefined;
    this.client = settings.client ?? createClient(settings, this.operationTimeoutMs);
    this.items = new ItemShape(shape);
    this.tables = new TableManager(
      this.client,
      {
        table: settings.table,
        partitionKey: settings.partitionKey,
        ttlAttribute: settings.ttlAttribute,
        createTable: settings.createTable,
        readyTimeoutMs: settings.tableReadyTimeoutMs,
        requestTimeoutMs: this.operationTimeoutMs,
      },
      this.logger,
    );
    this.batches = new BatchRunner(
      this.client,
      settings.table,
      settings.partitionKey,
      settings.bulkConcurrency,
      settings.consistentRead,
      this.call,
    );
    this.names = {
      '#p': settings.partitionKey,
      '#v': ATTRIBUTES.version,
      '#e': settings.ttlAttribute,
      '#k': ATTRIBUTES.key,
    };
    this.versionProjection = { expression: '#p, #v, #e, #k', names: this.names };
    this.deadlines = new Deadlines(this.operationTimeoutMs);
    this.autoBatcher = settings.autoBatch
      ? new AutoBatcher(
          {
            batches: this.batches,
            deadlines: this.deadlines,
            writeOne: (request, deadline) => this.writeOne(request, deadline),
            readOne: (storageKey, projection, deadline) =>
              this.readOne({ [settings.partitionKey]: { S: storageKey } }, projection, deadline),
          },
          this.versionProjection,
        )
      : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Connection state.

  protected async _open(): Promise<void> {
    try {
      await this.tables.ensure();
    } catch (err) {
      throw toConnectorError(err, 'start-up');
    }
  }

  protected async _close(): Promise<void> {
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.deadlines.abortAll();
    if (this.ownsClient) this.client.destroy();
  }

  /** Every SDK call goes through here: errors become ConnectorErrors, lost connections are noticed. */
  private readonly call: SdkCall = async (operation, send) => {
    try {
      return await send();
    } catch (err) {
      if (isConnectionError(err)) this.connectionLost(err);
      throw toConnectorError(err, operation);
    }
  };

  /** Operations now wait (bounded) for readiness while the table is probed until it answers. */
  private connectionLost(err: unknown): void {
    if (this.recovering || !this.isReady || this.isClosing) return;
    this.recovering = true;
    this.markUnavailable(toConnectorError(err, 'request'));
    this.scheduleRecovery(0);
  }

  private scheduleRecovery(attempt: number): void {
    const delay = Math.min(RECOVERY_MAX_MS, RECOVERY_MIN_MS * 2 ** attempt);
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = null;
      this.tables.ensure().then(
        () => {
          this.recovering = false;
          if (!this.isClosing) this.markReady();
        },
        (err: unknown) => {
          if (this.isClosing) return;
          // A table that vanished (an in-memory server restarted) is worth saying once.
          if (attempt === 0 && (ConnectorError.is(err, 'CONFIG') || isConfigurationError(err)))
            this.reportError(err);
          this.scheduleRecovery(attempt + 1);
        },
      );
    }, delay);
    this.recoveryTimer.unref();
  }

  // ---------------------------------------------------------------------------------------------
  // Single-key hooks: through the auto-batcher, or straight to the single-item request.

  protected async _get(key: string): Promise<ReadRecord | null> {
    const item = this.autoBatcher
      ? await this.autoBatcher.get(this.items.storageKey(key))
      : await this.readOne(this.items.keyOf(key), undefined, this.deadlines.next());
    return item ? this.items.read(key, item, Date.now()) : null;
  }

  /** Reads only the version (and what tells whether the item is live), never the value. */
  protected override async _head(key: string): Promise<number | null> {
    const item = this.autoBatcher
      ? await this.autoBatcher.head(this.items.storageKey(key))
      : await this.readOne(this.items.keyOf(key), this.versionProjection, this.deadlines.next());
    return item ? this.items.readVersion(key, item, Date.now()) : null;
  }

  protected async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    // Built now, so a value DynamoDB cannot hold fails its own call before any batching.
    const item = this.items.toItem(key, record, ttl, Date.now());
    const request: WriteRequest = { PutRequest: { Item: item } };
    if (this.autoBatcher)
      return this.autoBatcher.write({ storageKey: item[this.settings.partitionKey]!.S!, request });
    return this.writeOne(request, this.deadlines.next());
  }

  protected async _delete(key: string): Promise<void> {
    const Key = this.items.keyOf(key);
    const request: WriteRequest = { DeleteRequest: { Key } };
    if (this.autoBatcher)
      return this.autoBatcher.write({ storageKey: Key[this.settings.partitionKey]!.S!, request });
    return this.writeOne(request, this.deadlines.next());
  }

  /** One GetItem (a lone read, or a batch resent item by item). */
  private async readOne(
    key: Item,
    projection: Projection | undefined,
    deadline: Deadline,
  ): Promise<Item | undefined> {
    const command = new GetItemCommand(
      projection
        ? {
            TableName: this.table,
            Key: key,
            ConsistentRead: this.settings.consistentRead,
            ProjectionExpression: projection.expression,
            ExpressionAttributeNames: projection.names,
          }
        : { TableName: this.table, Key: key, ConsistentRead: this.settings.consistentRead },
    );
    const out = await this.call('GetItem', () => this.client.send(command, { abortSignal: deadline.signal }));
    return out.Item;
  }

  /** One PutItem or DeleteItem (a lone write, or a batch resent item by item). */
  private async writeOne(request: WriteRequest, deadline: Deadline): Promise<void> {
    if (request.PutRequest) {
      const command = new PutItemCommand({ TableName: this.table, Item: request.PutRequest.Item });
      await this.call('PutItem', () => this.client.send(command, { abortSignal: deadline.signal }));
    } else {
      const command = new DeleteItemCommand({ TableName: this.table, Key: request.DeleteRequest!.Key });
      await this.call('DeleteItem', () => this.client.send(command, { abortSignal: deadline.signal }));
    }
  }

  /** One conditional PutItem: DynamoDB checks the stored version and writes atomically. */
  protected override async _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const now = Date.now();
    // An expired item is absent for the connector, even before DynamoDB deletes it.
    const condition =
      expectedVersion === null
        ? 'attribute_not_exists(#p) OR #e <= :now'
        : '#v = :expected AND (attribute_not_exists(#e) OR #e > :now)';
    const values: Item = { ':now': { N: String(now / 1000) } };
    if (expectedVersion !== null) values[':expected'] = { N: String(expectedVersion) };
    const command = new PutItemCommand({
      TableName: this.table,
      Item: this.items.toItem(key, record, ttl, now),
      ConditionExpression: condition,
      ExpressionAttributeNames:
        expectedVersion === null
          ? { '#p': this.names['#p']!, '#e': this.names['#e']! }
          : { '#v': this.names['#v']!, '#e': this.names['#e']! },
      ExpressionAttributeValues: values,
    });
    return this.call('PutItem', async () => {
      try {
        await this.client.send(command, { abortSignal: this.deadlines.next().signal });
        return true;
      } catch (err) {
        if (isConditionalCheckFailed(err)) return false;
        throw err;
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk hooks: distinct keys only (DynamoDB refuses duplicates in one batch).

  /** Fetches the items of `keys` (deduplicated) and returns them by storage key. */
  private async fetch(
    keys: readonly string[],
    projection?: Projection,
  ): Promise<{ storageKeys: string[]; found: Map<string, Item> }> {
    const storageKeys = keys.map((k) => this.items.storageKey(k));
    const found = await this.batches.getByKey(new Set(storageKeys), this.deadlines.next(), projection);
    return { storageKeys, found };
  }

  protected override async _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    const { storageKeys, found } = await this.fetch(keys);
    const now = Date.now();
    return keys.map((key, i) => {
      const item = found.get(storageKeys[i]!);
      return item ? this.items.read(key, item, now) : null;
    });
  }

  protected override async _headMany(keys: string[]): Promise<(number | null)[]> {
    const { storageKeys, found } = await this.fetch(keys, this.versionProjection);
    const now = Date.now();
    return keys.map((key, i) => {
      const item = found.get(storageKeys[i]!);
      return item ? this.items.readVersion(key, item, now) : null;
    });
  }

  protected override async _setMany(
    entries: { key: string; record: WriteRecord }[],
    ttl: number,
  ): Promise<void> {
    const now = Date.now();
    const requests = new Map<string, WriteRequest>();
    for (const { key, record } of entries) {
      // The last entry for a key wins, as if the writes had been issued one after another.
      const item = this.items.toItem(key, record, ttl, now);
      const sk = item[this.settings.partitionKey]!.S!;
      requests.delete(sk);
      requests.set(sk, { PutRequest: { Item: item } });
    }
    await this.batches.write([...requests.values()], this.deadlines.next());
  }

  protected override async _deleteMany(keys: string[]): Promise<void> {
    const requests = new Map<string, WriteRequest>();
    for (const key of keys) {
      const Key = this.items.keyOf(key);
      requests.set(Key[this.settings.partitionKey]!.S!, { DeleteRequest: { Key } });
    }
    await this.batches.write([...requests.values()], this.deadlines.next());
  }
}
