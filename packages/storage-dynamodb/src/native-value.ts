/**
 * JSON values as DynamoDB's own attribute types (S, N, BOOL, NULL, L, M), so a stored record is
 * readable and queryable in the AWS console. Not every JSON value fits: DynamoDB numbers hold
 * magnitudes from 1e-130 to below 1e126 only, nesting stops at 32 levels, map keys may not be
 * empty (nor "__proto__", which the SDK cannot carry), strings must be well-formed Unicode. `toNative` returns null for such values and the
 * caller stores the codec's bytes instead.
 *
 * DynamoDB maps do not keep key order, JSON objects do. Objects whose keys are in the order a
 * sorted insert reproduces (array-index keys first, then ascending) need nothing more; for the
 * others the key order is recorded in a separate `order` attribute: JSON text (one string is far
 * cheaper for the SDK to carry than nested lists) of an object mapping the object's position
 * (pre-order count of objects in the value) to its list of keys, e.g. `{"0":["name","age"]}`.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConnectorError, type JsonValue } from '@connector-kit/connector-core';
import { CONTAINER_BYTES, ELEMENT_BYTES, numberBytes, SCALAR_BYTES, utf8Bytes } from './item-size';

/** DynamoDB allows 32 levels; the value's own top level is one of them and a leaf needs one. */
export const MAX_NATIVE_CONTAINER_DEPTH = 31;
const MIN_MAGNITUDE = 1e-130;
const MAX_MAGNITUDE_EXCLUSIVE = 1e126;
/** Longest map key (attribute name) DynamoDB accepts. */
const MAX_NAME_BYTES = 65535;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

export interface NativeValue {
  value: AttributeValue;
  /** Key orders of objects that a sorted insert would not reproduce; null when there are none. */
  order: AttributeValue | null;
  /** Size of `value` plus `order` as DynamoDB counts it (attribute names not included). */
  bytes: number;
}

/** JS lists array-index keys first in numeric order, whatever the insertion order. */
function isArrayIndex(key: string): boolean {
  return ARRAY_INDEX.test(key) && Number(key) < 4294967295;
}

/** True when inserting the keys in sorted order gives back this order. */
function isCanonicalOrder(keys: readonly string[]): boolean {
  let previous: string | null = null;
  for (const key of keys) {
    if (isArrayIndex(key)) continue;
    if (previous !== null && !(previous < key)) return false;
    previous = key;
  }
  return true;
}

function isNativeNumber(n: number): boolean {
  if (n === 0) return !Object.is(n, -0);
  const magnitude = Math.abs(n);
  return Number.isFinite(n) && magnitude >= MIN_MAGNITUDE && magnitude < MAX_MAGNITUDE_EXCLUSIVE;
}

function isNativeString(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** One encoding pass; gives up (returns undefined) as soon as the value cannot be native. */
class NativeEncoder {
  bytes = 0;
  private objects = 0;
  private readonly orders: Record<string, readonly string[]> = {};
  private hasOrder = false;

  constructor(private readonly budget: number) {}

  encode(value: JsonValue, depth: number): AttributeValue | undefined {
    if (this.bytes > this.budget) return undefined;
    switch (typeof value) {
      case 'string':
        if (!isNativeString(value)) return undefined;
        this.bytes += utf8Bytes(value);
        return { S: value };
      case 'number': {
        if (!isNativeNumber(value)) return undefined;
        const text = String(value);
        this.bytes += numberBytes(text);
        return { N: text };
      }
      case 'boolean':
        this.bytes += SCALAR_BYTES;
        return { BOOL: value };
      case 'object':
        if (value === null) {
          this.bytes += SCALAR_BYTES;
          return { NULL: true };
        }
        if (depth >= MAX_NATIVE_CONTAINER_DEPTH) return undefined;
        this.bytes += CONTAINER_BYTES;
        return Array.isArray(value) ? this.encodeList(value, depth + 1) : this.encodeMap(value, depth + 1);
      default:
        return undefined;
    }
  }

  private encodeList(list: readonly JsonValue[], depth: number): AttributeValue | undefined {
    const out: AttributeValue[] = []; // packed, unlike a pre-sized (holey) array
    for (let i = 0; i < list.length; i++) {
      const item = this.encode(list[i]!, depth);
      if (item === undefined) return undefined;
      this.bytes += ELEMENT_BYTES;
      out.push(item);
    }
    return { L: out };
  }

  private encodeMap(object: { [key: string]: JsonValue }, depth: number): AttributeValue | undefined {
    const position = this.objects++;
    const keys = Object.keys(object);
    if (!isCanonicalOrder(keys)) this.recordOrder(position, keys);
    const out: Record<string, AttributeValue> = {};
    for (const key of keys) {
      // The SDK rebuilds maps by assignment, which turns a "__proto__" key into a prototype.
      if (key === '' || key === '__proto__' || !isNativeString(key)) return undefined;
      const nameBytes = utf8Bytes(key);
      if (nameBytes > MAX_NAME_BYTES) return undefined;
      const item = this.encode(object[key]!, depth);
      if (item === undefined) return undefined;
      this.bytes += ELEMENT_BYTES + nameBytes;
      // Plain assignment is safe ("__proto__" was refused above) and keeps the object in V8's
      // fast mode: defineProperty per key made every item a dictionary object, and the SDK's
      // serialiser then cost ~150 µs more per PutItem.
      out[key] = item;
    }
    return { M: out };
  }

  private recordOrder(position: number, keys: readonly string[]): void {
    this.orders[String(position)] = keys;
    this.hasOrder = true;
  }

  finish(value: AttributeValue): NativeValue {
    if (!this.hasOrder) return { value, order: null, bytes: this.bytes };
    const text = JSON.stringify(this.orders);
    return { value, order: { S: text }, bytes: this.bytes + utf8Bytes(text) };
  }
}

/**
 * The native form of `value`, or null when DynamoDB's types cannot hold it exactly or it would
 * take more than `budget` bytes.
 */
export function toNative(value: JsonValue, budget: number): NativeValue | null {
  const encoder = new NativeEncoder(budget);
  const attribute = encoder.encode(value, 0);
  if (attribute === undefined) return null;
  const native = encoder.finish(attribute);
  return native.bytes <= budget ? native : null;
}

function corrupt(what: string): ConnectorError {
  return new ConnectorError('CORRUPT', `Stored DynamoDB value is not one this connector writes: ${what}`);
}

/** Rebuilds the JSON value (a fresh object on every call). */
export function fromNative(value: AttributeValue, order: AttributeValue | undefined): JsonValue {
  const orders = parseOrders(order);
  let objects = 0;
  const decode = (attribute: AttributeValue): JsonValue => {
    if (attribute.S !== undefined) return attribute.S;
    if (attribute.N !== undefined) {
      const n = Number(attribute.N);
      if (!Number.isFinite(n)) throw corrupt(`number "${attribute.N}"`);
      return n;
    }
    if (attribute.BOOL !== undefined) return attribute.BOOL;
    if (attribute.NULL !== undefined) return null;
    if (attribute.L !== undefined) return attribute.L.map(decode);
    if (attribute.M !== undefined) {
      const map = attribute.M;
      const keys = keyOrder(map, orders?.[String(objects++)]);
      const out: { [key: string]: JsonValue } = {};
      for (const key of keys) {
        const value = decode(map[key]!);
        // A plain assignment of "__proto__" would change the prototype instead of adding a key;
        // defineProperty only then, as it turns the object into a slow dictionary object.
        if (key === '__proto__') {
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        } else {
          out[key] = value;
        }
      }
      return out;
    }
    throw corrupt(`attribute type ${Object.keys(attribute).join(',') || '(none)'}`);
  };
  return decode(value);
}

/** The recorded orders, or null when there are none or they are not readable (edited by hand). */
function parseOrders(order: AttributeValue | undefined): Record<string, unknown> | null {
  if (order?.S === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(order.S);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The recorded key order when it names exactly the map's keys, else sorted order. */
function keyOrder(map: Record<string, AttributeValue>, recorded: unknown): string[] {
  const keys = Object.keys(map);
  if (Array.isArray(recorded) && recorded.length === keys.length) {
    const seen = new Set<string>();
    const valid = recorded.every(
      (n: unknown) =>
        typeof n === 'string' && Object.prototype.hasOwnProperty.call(map, n) && !seen.has(n) && seen.add(n),
    );
    if (valid) return recorded as string[];
  }
  return keys.sort();
}
