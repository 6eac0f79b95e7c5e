/**
 * Options of the DynamoDB storage connector: one interface, one DEFAULTS const, and the URL
 * form `dynamodb://region/table?endpoint=…&createTable=true#prefix`. Explicit options win over
 * the URL. Bad values fail at construction with CONFIG naming the field.
 */
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  ConnectorError,
  parseConnectorUrl,
  queryBoolean,
  queryNumber,
  type ConnectorOptions,
} from '@connector-kit/connector-core';
import { ATTRIBUTES } from './item-shape';

export interface DynamoDBStorageOptions extends ConnectorOptions {
  /** AWS region (the URL's host part). Default: the SDK's own chain (AWS_REGION, profile). */
  region?: string;
  /** Table name (the URL's path). Required. */
  table?: string;
  /** Endpoint URL for DynamoDB Local, dynalite or a VPC endpoint (`?endpoint=`). */
  endpoint?: string;
  /** An existing client to use instead of creating one. The caller owns it: close() leaves it open. */
  client?: DynamoDBClient;
  /** Credentials for the created client. Default: the SDK's chain; dummy ones for a loopback endpoint. */
  credentials?: DynamoDBClientConfig['credentials'];
  /** Create the table at start-up if it is missing (on-demand billing), then wait until ACTIVE. */
  createTable?: boolean;
  /** Name of the table's partition key (type S). */
  partitionKey?: string;
  /** Attribute holding the expiry (epoch seconds); TTL is enabled on it when the table is created. */
  ttlAttribute?: string;
  /** Strongly consistent reads (read-your-writes; twice the read capacity of eventual reads). */
  consistentRead?: boolean;
  /** `native`: DynamoDB types where they hold the value exactly, else the codec's bytes; `encoded`: always bytes. */
  valueFormat?: 'native' | 'encoded';
  /** Longest key (without the prefix) in UTF-8 bytes; keys over 2048 bytes are stored under a hash. */
  maxKeyBytes?: number;
  /** Attempts per request inside the SDK (its retry of throttling and transient errors). */
  maxAttempts?: number;
  /** Sockets the created client keeps open to the endpoint. */
  maxSockets?: number;
  /** Batch requests a bulk operation keeps in flight at once. */
  bulkConcurrency?: number;
  /**
   * Single sets and deletes issued in the same tick go out as one BatchWriteItem, single gets
   * (and heads) as one BatchGetItem. A lone call still uses PutItem / GetItem / DeleteItem.
   */
  autoBatch?: boolean;
  /** How long start-up waits for a created table to become ACTIVE, in ms. */
  tableReadyTimeoutMs?: number;
}

export const DYNAMODB_STORAGE_DEFAULTS = {
  createTable: false,
  partitionKey: 'pk',
  ttlAttribute: 'exp',
  consistentRead: true,
  valueFormat: 'native',
  maxKeyBytes: 4096,
  maxAttempts: 3,
  maxSockets: 64,
  bulkConcurrency: 8,
  autoBatch: true,
  tableReadyTimeoutMs: 60_000,
} as const;

/** Everything resolved: URL and options merged, defaults applied, values checked. */
export interface DynamoDBSettings {
  region: string | undefined;
  table: string;
  endpoint: string | undefined;
  client: DynamoDBClient | undefined;
  credentials: DynamoDBClientConfig['credentials'] | undefined;
  createTable: boolean;
  partitionKey: string;
  ttlAttribute: string;
  consistentRead: boolean;
  valueFormat: 'native' | 'encoded';
  maxKeyBytes: number;
  maxAttempts: number;
  maxSockets: number;
  bulkConcurrency: number;
  autoBatch: boolean;
  tableReadyTimeoutMs: number;
  /** The key prefix, as the base class will resolve it (needed for the value-size budget). */
  prefix: string;
}

/** Query parameters read as numbers; together with the others below, every parameter a URL may carry. */
const NUMERIC_URL_PARAMETERS = [
  'maxKeyBytes',
  'maxAttempts',
  'maxSockets',
  'bulkConcurrency',
  'tableReadyTimeoutMs',
  'operationTimeoutMs',
  'connectTimeoutMs',
  'defaultTtl',
] as const;

const URL_PARAMETERS = new Set<string>([
  'endpoint',
  'createTable',
  'partitionKey',
  'ttlAttribute',
  'consistentRead',
  'autoBatch',
  'valueFormat',
  ...NUMERIC_URL_PARAMETERS,
]);

function configError(field: string, message: string): ConnectorError {
  return new ConnectorError('CONFIG', message, { details: { field } });
}

/** What the URL says, as options (explicit options are merged over this). */
export function optionsFromUrl(url: string): DynamoDBStorageOptions {
  const parsed = parseConnectorUrl(url);
  if (parsed.scheme !== 'dynamodb') {
    throw configError('url', `The DynamoDB connector expects a dynamodb:// URL, got ${parsed.redacted}`);
  }
  for (const name of Object.keys(parsed.query)) {
    if (!URL_PARAMETERS.has(name)) {
      throw configError(
        name,
        `Unknown query parameter "${name}" in ${parsed.redacted}; known: ${[...URL_PARAMETERS].join(', ')}`,
      );
    }
  }
  if (parsed.hosts.length > 1) throw configError('region', `One region expected in ${parsed.redacted}`);
  const out: DynamoDBStorageOptions = {};
  if (parsed.hosts[0]) out.region = parsed.hosts[0].host;
  if (parsed.path !== '') out.table = parsed.path;
  if (parsed.username !== undefined || parsed.password !== undefined) {
    out.credentials = { accessKeyId: parsed.username ?? '', secretAccessKey: parsed.password ?? '' };
  }
  const q = parsed.query;
  if (q.endpoint) out.endpoint = q.endpoint;
  if (q.createTable !== undefined) out.createTable = queryBoolean(parsed, 'createTable', false);
  if (q.consistentRead !== undefined) out.consistentRead = queryBoolean(parsed, 'consistentRead', true);
  if (q.autoBatch !== undefined) out.autoBatch = queryBoolean(parsed, 'autoBatch', true);
  if (q.partitionKey !== undefined) out.partitionKey = q.partitionKey;
  if (q.ttlAttribute !== undefined) out.ttlAttribute = q.ttlAttribute;
  if (q.valueFormat !== undefined) out.valueFormat = q.valueFormat as DynamoDBStorageOptions['valueFormat'];
  for (const name of NUMERIC_URL_PARAMETERS) {
    if (q[name] !== undefined) out[name] = queryNumber(parsed, name, 0);
  }
  out.prefix = parsed.prefix;
  return out;
}

/** Merges URL and options (options win) into the options the base class is given. */
export function mergeOptions(options: DynamoDBStorageOptions): DynamoDBStorageOptions {
  if (options === null || typeof options !== 'object')
    throw configError('options', 'DynamoDB connector options must be an object');
  const fromUrl = options.url !== undefined ? optionsFromUrl(options.url) : {};
  const merged: DynamoDBStorageOptions = { ...fromUrl };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
  }
  return merged;
}

function positiveInteger(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw configError(field, `Option ${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw configError(field, `Option ${field} must be true or false, got ${String(value)}`);
  return value;
}

function attributeName(value: unknown, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 255) {
    throw configError(
      field,
      `Option ${field} must be an attribute name of 1 to 255 bytes, got ${JSON.stringify(value)}`,
    );
  }
  if ((Object.values(ATTRIBUTES) as string[]).includes(value)) {
    throw configError(
      field,
      `Option ${field} cannot be "${value}": the connector stores its own data under that name`,
    );
  }
  return value;
}

/** Applies defaults and checks every field of the merged options. */
export function resolveSettings(merged: DynamoDBStorageOptions): DynamoDBSettings {
  const d = DYNAMODB_STORAGE_DEFAULTS;
  const table = merged.table;
  if (typeof table !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw configError(
      'table',
      table === undefined
        ? 'The DynamoDB connector needs a table: dynamodb://region/table or the "table" option'
        : `Invalid DynamoDB table name ${JSON.stringify(table)} (3-255 characters of A-Z a-z 0-9 _ . -)`,
    );
  }
  if (
    merged.region !== undefined &&
    (typeof merged.region !== 'string' || !/^[a-z0-9-]+$/.test(merged.region))
  ) {
    throw configError('region', `Invalid AWS region ${JSON.stringify(merged.region)}`);
  }
  if (merged.endpoint !== undefined) {
    if (typeof merged.endpoint !== 'string' || !/^https?:\/\/[^/]+/.test(merged.endpoint)) {
      throw configError(
        'endpoint',
        `Option endpoint must be an http:// or https:// URL, got ${JSON.stringify(merged.endpoint)}`,
      );
    }
  }
  const valueFormat = merged.valueFormat ?? d.valueFormat;
  if (valueFormat !== 'native' && valueFormat !== 'encoded') {
    throw configError(
      'valueFormat',
      `Option valueFormat must be "native" or "encoded", got ${JSON.stringify(valueFormat)}`,
    );
  }
  const partitionKey = attributeName(merged.partitionKey, 'partitionKey', d.partitionKey);
  const ttlAttribute = attributeName(merged.ttlAttribute, 'ttlAttribute', d.ttlAttribute);
  if (partitionKey === ttlAttribute)
    throw configError('ttlAttribute', 'Options partitionKey and ttlAttribute must differ');
  const prefix = merged.prefix ?? '';
  if (typeof prefix !== 'string') throw configError('prefix', 'The prefix option must be a string');
  return {
    region: merged.region,
    table,
    endpoint: merged.endpoint,
    client: merged.client,
    credentials: merged.credentials,
    createTable: flag(merged.createTable, 'createTable', d.createTable),
    partitionKey,
    ttlAttribute,
    consistentRead: flag(merged.consistentRead, 'consistentRead', d.consistentRead),
    valueFormat,
    maxKeyBytes: positiveInteger(merged.maxKeyBytes, 'maxKeyBytes', d.maxKeyBytes),
    maxAttempts: positiveInteger(merged.maxAttempts, 'maxAttempts', d.maxAttempts),
    maxSockets: positiveInteger(merged.maxSockets, 'maxSockets', d.maxSockets),
    bulkConcurrency: positiveInteger(merged.bulkConcurrency, 'bulkConcurrency', d.bulkConcurrency),
    autoBatch: flag(merged.autoBatch, 'autoBatch', d.autoBatch),
    tableReadyTimeoutMs: positiveInteger(
      merged.tableReadyTimeoutMs,
      'tableReadyTimeoutMs',
      d.tableReadyTimeoutMs,
    ),
    prefix,
  };
}
