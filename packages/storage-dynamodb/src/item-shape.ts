/**
 * The stored item: how a key, a value, a version and an expiry become one DynamoDB item and back.
 *
 *   <partitionKey> S   the key (prefix + key), or `#sha256:<hex>` when longer than 2048 bytes
 *   key            S   the full key, only when the partition key is a hash
 *   ver            N   the record version
 *   val            native value (S, N, BOOL, NULL, L, M) — or, when `fmt` is present, the
 *                  codec's bytes: S holding the JSON text for the JSON codec, B for others
 *   fmt            S   the codec's name, only for encoded values
 *   ord            S   JSON text: key order of objects a sorted insert would not reproduce (native only)
 *   <ttlAttribute> N   expiry in epoch seconds, only with a TTL (DynamoDB's TTL format)
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConnectorError, type Codec, type ReadRecord, type WriteRecord } from '@connector-kit/connector-core';
import {
  MAX_ITEM_BYTES,
  MAX_NUMBER_BYTES,
  MAX_PARTITION_KEY_BYTES,
  numberBytes,
  utf8Bytes,
} from './item-size';
import { fromNative, toNative } from './native-value';

export type Item = Record<string, AttributeValue>;

/** Fixed attribute names (the partition key and TTL attribute names are configurable). */
export const ATTRIBUTES = { value: 'val', version: 'ver', format: 'fmt', key: 'key', order: 'ord' } as const;

const HASH_PREFIX = '#sha256:';
const HASHED_KEY_BYTES = HASH_PREFIX.length + 64;

export interface ItemShapeSettings {
  partitionKey: string;
  ttlAttribute: string;
  codec: Codec;
  /** `native`: DynamoDB types where they can hold the value exactly; `encoded`: always the codec's bytes. */
  valueFormat: 'native' | 'encoded';
}

/** The largest serialised value that always fits in one item, whatever the key (see the README). */
export function maxValueBytesFor(
  settings: ItemShapeSettings,
  prefixBytes: number,
  maxKeyBytes: number,
): number {
  const longestKey = prefixBytes + maxKeyBytes;
  const keyBytes =
    longestKey <= MAX_PARTITION_KEY_BYTES
      ? utf8Bytes(settings.partitionKey) + longestKey
      : utf8Bytes(settings.partitionKey) + HASHED_KEY_BYTES + ATTRIBUTES.key.length + longestKey;
  const overhead =
    keyBytes +
    ATTRIBUTES.version.length +
    MAX_NUMBER_BYTES +
    utf8Bytes(settings.ttlAttribute) +
    MAX_NUMBER_BYTES +
    ATTRIBUTES.value.length +
    ATTRIBUTES.format.length +
    utf8Bytes(settings.codec.name);
  return MAX_ITEM_BYTES - overhead;
}

export class ItemShape {
  private readonly pk: string;
  private readonly ttl: string;
  private readonly stringEncoded: boolean;

  constructor(private readonly settings: ItemShapeSettings) {
    this.pk = settings.partitionKey;
    this.ttl = settings.ttlAttribute;
    // JSON text is valid UTF-8 (JSON.stringify escapes lone surrogates): readable as a string.
    this.stringEncoded = settings.codec.name === 'json';
  }

  /** The partition key value for a full key: itself, or a hash when DynamoDB would refuse it. */
  storageKey(fullKey: string): string {
    if (
      fullKey.length * 3 <= MAX_PARTITION_KEY_BYTES ||
      Buffer.byteLength(fullKey, 'utf8') <= MAX_PARTITION_KEY_BYTES
    ) {
      return fullKey;
    }
    return HASH_PREFIX + createHash('sha256').update(fullKey, 'utf8').digest('hex');
  }

  keyOf(fullKey: string): Item {
    return { [this.pk]: { S: this.storageKey(fullKey) } };
  }

  /** Builds the item; throws VALUE_TOO_LARGE if even the encoded form exceeds 400 KB. */
  toItem(fullKey: string, record: WriteRecord, ttlMs: number, nowMs: number): Item {
    const storageKey = this.storageKey(fullKey);
    const version = String(record.version);
    const item: Item = { [this.pk]: { S: storageKey }, [ATTRIBUTES.version]: { N: version } };
    let fixedBytes =
      utf8Bytes(this.pk) + utf8Bytes(storageKey) + ATTRIBUTES.version.length + numberBytes(version);
    if (storageKey !== fullKey) {
      item[ATTRIBUTES.key] = { S: fullKey };
      fixedBytes += ATTRIBUTES.key.length + utf8Bytes(fullKey);
    }
    if (ttlMs > 0) {
      const expires = String(Math.ceil((nowMs + ttlMs) / 1000));
      item[this.ttl] = { N: expires };
      fixedBytes += utf8Bytes(this.ttl) + numberBytes(expires);
    }
    if (this.settings.valueFormat === 'native') {
      const budget = MAX_ITEM_BYTES - fixedBytes - ATTRIBUTES.value.length - ATTRIBUTES.order.length;
      const native = toNative(record.value, budget);
      if (native) {
        item[ATTRIBUTES.value] = native.value;
        if (native.order) item[ATTRIBUTES.order] = native.order;
        return item;
      }
    }
    const data = record.data;
    const size =
      fixedBytes +
      ATTRIBUTES.value.length +
      data.byteLength +
      ATTRIBUTES.format.length +
      utf8Bytes(this.settings.codec.name);
    if (size > MAX_ITEM_BYTES) {
      throw new ConnectorError(
        'VALUE_TOO_LARGE',
        `The DynamoDB item would be ${size} bytes; DynamoDB accepts at most ${MAX_ITEM_BYTES}`,
        {
          details: { size, limit: MAX_ITEM_BYTES },
        },
      );
    }
    item[ATTRIBUTES.value] = this.stringEncoded ? { S: Buffer.from(data).toString('utf8') } : { B: data };
    item[ATTRIBUTES.format] = { S: this.settings.codec.name };
    return item;
  }

  /** True when the item holds this key (not another key's hash twin) and has not expired. */
  isLive(fullKey: string, item: Item, nowMs: number): boolean {
    const stored = item[ATTRIBUTES.key]?.S ?? item[this.pk]?.S ?? fullKey;
    if (stored !== fullKey) return false;
    const expires = item[this.ttl]?.N;
    return expires === undefined || Number(expires) * 1000 > nowMs;
  }

  /** The record in the item, or null if it is expired or belongs to another key. */
  read(fullKey: string, item: Item, nowMs: number): ReadRecord | null {
    if (!this.isLive(fullKey, item, nowMs)) return null;
    const version = this.versionOf(item);
    const value = item[ATTRIBUTES.value];
    if (value === undefined)
      throw new ConnectorError('CORRUPT', `Stored DynamoDB item has no "${ATTRIBUTES.value}" attribute`);
    const format = item[ATTRIBUTES.format]?.S;
    if (format === undefined) return { version, value: fromNative(value, item[ATTRIBUTES.order]) };
    if (format !== this.settings.codec.name) {
      throw new ConnectorError(
        'CORRUPT',
        `Stored value was written with the "${format}" codec; this connector uses "${this.settings.codec.name}"`,
      );
    }
    if (value.S !== undefined) return { version, data: Buffer.from(value.S, 'utf8') };
    if (value.B !== undefined) return { version, data: value.B };
    throw new ConnectorError('CORRUPT', `Stored encoded value is neither a string nor binary`);
  }

  readVersion(fullKey: string, item: Item, nowMs: number): number | null {
    return this.isLive(fullKey, item, nowMs) ? this.versionOf(item) : null;
  }

  private versionOf(item: Item): number {
    const text = item[ATTRIBUTES.version]?.N;
    // An item created by hand without a version reads as version 0, like a set() without one.
    if (text === undefined) return 0;
    const version = Number(text);
    if (!Number.isSafeInteger(version))
      throw new ConnectorError('CORRUPT', `Stored version "${text}" is not an integer`);
    return version;
  }
}
