/**
 * The table at start-up: check it exists with the documented key schema, or create it
 * (on-demand billing, TTL enabled on the TTL attribute) and wait until it is ACTIVE.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { ConnectorError, type Logger } from '@connector-kit/connector-core';
import { errorName, isTableMissing } from './sdk-errors';

export interface TableSpec {
  table: string;
  partitionKey: string;
  ttlAttribute: string;
  createTable: boolean;
  readyTimeoutMs: number;
  /** Bound on each request made here, in ms. */
  requestTimeoutMs: number;
}

const POLL_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** "region us-east-1 (endpoint http://…)" for messages; never fails. */
export async function describeLocation(client: DynamoDBClient): Promise<string> {
  let region = 'unknown';
  try {
    region = await client.config.region();
  } catch {
    // The region is part of what is wrong; say so rather than fail here.
  }
  let endpoint = '';
  try {
    const resolved = await client.config.endpoint?.();
    if (resolved)
      endpoint = ` (endpoint ${resolved.protocol}//${resolved.hostname}${resolved.port ? `:${resolved.port}` : ''})`;
  } catch {
    // No custom endpoint: the AWS default for the region.
  }
  return `region ${region}${endpoint}`;
}

export class TableManager {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly spec: TableSpec,
    private readonly logger: Logger,
  ) {}

  private options(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.spec.requestTimeoutMs) };
  }

  private pending: Promise<void> | null = null;

  /**
   * Resolves once the table exists with the right key schema and is ACTIVE. Callers share one
   * check at a time: a start-up attempt the base class abandons (connectTimeoutMs) while a new
   * table is still CREATING is joined by the next attempt instead of racing it.
   */
  ensure(): Promise<void> {
    this.pending ??= this.check().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async check(): Promise<void> {
    let table: TableDescription | undefined;
    try {
      table = (
        await this.client.send(new DescribeTableCommand({ TableName: this.spec.table }), this.options())
      ).Table;
    } catch (err) {
      if (!isTableMissing(err)) throw err;
      if (!this.spec.createTable) {
        throw new ConnectorError(
          'CONFIG',
          `DynamoDB table "${this.spec.table}" does not exist in ${await describeLocation(this.client)}. ` +
            `Create it with the partition key "${this.spec.partitionKey}" (type S), or set createTable=true`,
          { cause: err, details: { field: 'table' } },
        );
      }
      await this.create();
      return;
    }
    this.checkSchema(table);
    if (table?.TableStatus !== 'ACTIVE') await this.waitUntilActive();
  }

  private checkSchema(table: TableDescription | undefined): void {
    const keys = table?.KeySchema ?? [];
    const hash = keys.find((k) => k.KeyType === 'HASH');
    const type = table?.AttributeDefinitions?.find(
      (a) => a.AttributeName === hash?.AttributeName,
    )?.AttributeType;
    if (keys.length !== 1 || hash?.AttributeName !== this.spec.partitionKey || type !== 'S') {
      const found = keys.map((k) => `${k.AttributeName} (${k.KeyType})`).join(', ') || 'none';
      throw new ConnectorError(
        'CONFIG',
        `DynamoDB table "${this.spec.table}" has the key schema [${found}]; this connector needs only a partition key ` +
          `"${this.spec.partitionKey}" of type S (set the partitionKey option to the table's key name)`,
        { details: { field: 'partitionKey' } },
      );
    }
  }

  private async create(): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.spec.table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: this.spec.partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: this.spec.partitionKey, KeyType: 'HASH' }],
        }),
        this.options(),
      );
    } catch (err) {
      // Another connector created it at the same moment: wait for it like for our own.
      if (errorName(err) !== 'ResourceInUseException') throw err;
    }
    await this.waitUntilActive();
    await this.enableTtl();
  }

  private async waitUntilActive(): Promise<void> {
    const deadline = Date.now() + this.spec.readyTimeoutMs;
    for (;;) {
      const out = await this.client.send(
        new DescribeTableCommand({ TableName: this.spec.table }),
        this.options(),
      );
      if (out.Table?.TableStatus === 'ACTIVE') {
        this.checkSchema(out.Table);
        return;
      }
      if (Date.now() + POLL_MS > deadline) {
        throw new ConnectorError(
          'BACKEND',
          `DynamoDB table "${this.spec.table}" is ${out.Table?.TableStatus ?? 'missing'}, not ACTIVE, after ${this.spec.readyTimeoutMs} ms`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** DynamoDB deletes expired items itself once TTL is on; reads hide them in the meantime. */
  private async enableTtl(): Promise<void> {
    try {
      await this.client.send(
        new UpdateTimeToLiveCommand({
          TableName: this.spec.table,
          TimeToLiveSpecification: { AttributeName: this.spec.ttlAttribute, Enabled: true },
        }),
        this.options(),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/already enabled/i.test(message)) return;
      this.logger.warn(
        `[dynamodb] could not enable TTL on table "${this.spec.table}" (${errorName(err)}: ${message}); ` +
          'expired items stay hidden from reads but are not deleted by the server',
      );
    }
  }
}
