/**
 * BSON values as the emulator holds them (deserialised with `promoteValues: false`, so numbers keep
 * their BSON type) and MongoDB's rules for comparing them: the canonical type order, numeric
 * comparison across int/long/double/decimal, binary string comparison, field-by-field documents.
 */
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  type Document,
} from 'bson';

/** A plain document (not an array, not a BSON value class, not a Date). */
export function isDocument(value: unknown): value is Document {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || value instanceof Date) return false;
  if (ArrayBuffer.isView(value)) return false;
  return !('_bsontype' in value);
}

export function isNumber(value: unknown): value is Int32 | Double | Long | Decimal128 | number {
  return (
    typeof value === 'number' ||
    value instanceof Int32 ||
    value instanceof Double ||
    (value instanceof Long && !(value instanceof Timestamp)) ||
    value instanceof Decimal128
  );
}

/** A JS number for an option value (int32, int64, double); undefined for anything else. */
export function toJsNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Int32 || value instanceof Double) return value.value;
  if (value instanceof Long && !(value instanceof Timestamp)) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return undefined;
}

/** MongoDB's truthiness for option flags: booleans, and numbers other than 0. */
export function isTruthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const n = toJsNumber(value);
  if (n !== undefined) return n !== 0;
  return value !== undefined && value !== null;
}

/** MongoDB's canonical type order (the order used to compare values of different types). */
export function typeRank(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null) return 5;
  if (isNumber(value)) return 10;
  if (typeof value === 'string' || value instanceof BSONSymbol) return 15;
  if (typeof value === 'boolean') return 40;
  if (value instanceof Date) return 45;
  if (Array.isArray(value)) return 25;
  if (value instanceof MinKey) return -1;
  if (value instanceof MaxKey) return 127;
  if (value instanceof Binary) return 30;
  if (value instanceof ObjectId) return 35;
  if (value instanceof Timestamp) return 47;
  if (value instanceof BSONRegExp || value instanceof RegExp) return 50;
  if (value instanceof Code) return value.scope ? 65 : 60;
  return 20; // documents (DBRef is normalised to a plain document on input)
}

/** BSON type names as MongoDB prints them in error messages. */
export function typeName(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number' || value instanceof Double) return 'double';
  if (value instanceof Int32) return 'int';
  if (value instanceof Timestamp) return 'timestamp';
  if (value instanceof Long) return 'long';
  if (value instanceof Decimal128) return 'decimal';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Binary) return 'binData';
  if (value instanceof ObjectId) return 'objectId';
  if (value instanceof BSONRegExp || value instanceof RegExp) return 'regex';
  if (value instanceof MinKey) return 'minKey';
  if (value instanceof MaxKey) return 'maxKey';
  if (value instanceof Code) return 'javascript';
  if (value instanceof BSONSymbol) return 'symbol';
  return 'object';
}

type Numeric = { exact: bigint; frac: false } | { approx: number; frac: true };

const TWO_63 = 2 ** 63;

function numeric(value: Int32 | Double | Long | Decimal128 | number): Numeric {
  if (value instanceof Long) return { exact: value.toBigInt(), frac: false };
  let n: number;
  if (value instanceof Decimal128) {
    const text = value.toString();
    if (/^-?\d+$/.test(text)) return { exact: BigInt(text), frac: false };
    n = Number(text);
  } else {
    n = typeof value === 'number' ? value : value.value;
  }
  if (Number.isInteger(n) && Math.abs(n) < TWO_63) return { exact: BigInt(n), frac: false };
  return { approx: n, frac: true };
}

function compareNumbers(
  a: Int32 | Double | Long | Decimal128 | number,
  b: Int32 | Double | Long | Decimal128 | number,
): number {
  const x = numeric(a);
  const y = numeric(b);
  if (!x.frac && !y.frac) return x.exact < y.exact ? -1 : x.exact > y.exact ? 1 : 0;
  const xn = x.frac ? x.approx : Number(x.exact);
  const yn = y.frac ? y.approx : Number(y.exact);
  // MongoDB orders NaN below every other number and equal to itself.
  if (Number.isNaN(xn) || Number.isNaN(yn)) return Number.isNaN(xn) ? (Number.isNaN(yn) ? 0 : -1) : 1;
  return xn < yn ? -1 : xn > yn ? 1 : 0;
}

function stringOf(value: string | BSONSymbol): string {
  return typeof value === 'string' ? value : value.value;
}

/** Strings compare by their UTF-8 bytes (MongoDB's simple binary collation). */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

function bytesOf(value: Binary): Buffer {
  return Buffer.from(value.buffer.buffer, value.buffer.byteOffset, value.position);
}

function compareDocuments(a: Document, b: Document): number {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  const n = Math.min(ak.length, bk.length);
  for (let i = 0; i < n; i++) {
    const av = a[ak[i]];
    const bv = b[bk[i]];
    const byType = typeRank(av) - typeRank(bv);
    if (byType !== 0) return Math.sign(byType);
    const byName = compareStrings(ak[i], bk[i]);
    if (byName !== 0) return byName;
    const byValue = compareValues(av, bv);
    if (byValue !== 0) return byValue;
  }
  return Math.sign(ak.length - bk.length);
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const byType = typeRank(a[i]) - typeRank(b[i]);
    if (byType !== 0) return Math.sign(byType);
    const byValue = compareValues(a[i], b[i]);
    if (byValue !== 0) return byValue;
  }
  return Math.sign(a.length - b.length);
}

/** Total order over BSON values, as MongoDB sorts and compares them (-1, 0, 1). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return Math.sign(ra - rb);
  switch (ra) {
    case 10:
      return compareNumbers(a as number, b as number);
    case 15:
      return compareStrings(stringOf(a as string), stringOf(b as string));
    case 20:
      return compareDocuments(a as Document, b as Document);
    case 25:
      return compareArrays(a as unknown[], b as unknown[]);
    case 30: {
      const x = a as Binary;
      const y = b as Binary;
      if (x.position !== y.position) return Math.sign(x.position - y.position);
      if (x.sub_type !== y.sub_type) return Math.sign(x.sub_type - y.sub_type);
      return Math.sign(Buffer.compare(bytesOf(x), bytesOf(y)));
    }
    case 35:
      return Math.sign(Buffer.compare(Buffer.from((a as ObjectId).id), Buffer.from((b as ObjectId).id)));
    case 40:
      return Math.sign(Number(a) - Number(b));
    case 45: {
      const x = (a as Date).getTime();
      const y = (b as Date).getTime();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 47: {
      const x = a as Timestamp;
      const y = b as Timestamp;
      return x.t !== y.t ? Math.sign(x.t - y.t) : Math.sign(x.i - y.i);
    }
    case 50: {
      const x = regexParts(a);
      const y = regexParts(b);
      return compareStrings(x[0], y[0]) || compareStrings(x[1], y[1]);
    }
    case 60:
    case 65: {
      const x = a as Code;
      const y = b as Code;
      return compareStrings(String(x.code), String(y.code)) || compareValues(x.scope ?? {}, y.scope ?? {});
    }
    default:
      return 0; // null, undefined, MinKey, MaxKey
  }
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof BSONRegExp) return [value.pattern, value.options];
  const re = value as RegExp;
  return [re.source, re.flags];
}

export function valuesEqual(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0;
}

/**
 * A string that is identical for two values exactly when MongoDB considers them equal (so int 1,
 * long 1 and double 1.0 share a key). Used for `_id` lookups and unique indexes.
 */
export function canonicalKey(value: unknown): string {
  const rank = typeRank(value);
  switch (rank) {
    case 0:
    case 5:
      return 'z';
    case 10: {
      const n = numeric(value as number);
      if (!n.frac) return `n${n.exact}`;
      if (value instanceof Decimal128) return `nd${value.toString()}`;
      return `n${Number.isNaN(n.approx) ? 'NaN' : String(n.approx)}`;
    }
    case 15:
      return `s${JSON.stringify(stringOf(value as string))}`;
    case 20: {
      const doc = value as Document;
      return `o{${Object.keys(doc)
        .map((k) => `${JSON.stringify(k)}:${canonicalKey(doc[k])}`)
        .join(',')}}`;
    }
    case 25:
      return `a[${(value as unknown[]).map(canonicalKey).join(',')}]`;
    case 30:
      return `b${(value as Binary).sub_type}:${bytesOf(value as Binary).toString('hex')}`;
    case 35:
      return `i${(value as ObjectId).toHexString()}`;
    case 40:
      return value ? 't1' : 't0';
    case 45:
      return `d${(value as Date).getTime()}`;
    case 47:
      return `T${(value as Timestamp).t}:${(value as Timestamp).i}`;
    case 50:
      return `r${JSON.stringify(regexParts(value))}`;
    case 60:
    case 65:
      return `c${JSON.stringify(String((value as Code).code))}${canonicalKey((value as Code).scope ?? null)}`;
    default:
      return rank < 0 ? 'm-' : 'm+';
  }
}

/** Deep copy of documents and arrays; BSON value objects are immutable here and are shared. */
export function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (isDocument(value)) return cloneDocument(value) as T;
  return value;
}

export function cloneDocument(doc: Document): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) setField(out, key, cloneValue(doc[key]));
  return out;
}

/** Assigns an own property even for the name `__proto__`. */
export function setField(target: Document, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function hasField(doc: Document, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(doc, key);
}

/** Replaces DBRef objects (which `bson` builds from `$ref`/`$id` sub-documents) by plain documents. */
export function normaliseValue(value: unknown): unknown {
  if (value instanceof DBRef) {
    const out: Document = { $ref: value.collection, $id: normaliseValue(value.oid) };
    if (value.db) out.$db = value.db;
    for (const [k, v] of Object.entries(value.fields)) setField(out, k, normaliseValue(v));
    return out;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normaliseValue(value[i]);
    return value;
  }
  if (isDocument(value)) {
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v !== null && typeof v === 'object') setField(value, key, normaliseValue(v));
    }
  }
  return value;
}

/** Renders a value the way MongoDB prints it in error messages (`{ _id: "a" }`). */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Int32 || value instanceof Double) return String(value.value);
  if (value instanceof Timestamp) return `Timestamp(${value.t}, ${value.i})`;
  if (value instanceof Long) return `${value.toString()}`;
  if (value instanceof Decimal128) return `NumberDecimal("${value.toString()}")`;
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof Binary) return `BinData(${value.sub_type}, ${bytesOf(value).toString('hex')})`;
  if (value instanceof BSONRegExp) return `/${value.pattern}/${value.options}`;
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (isDocument(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    return `{ ${keys.map((k) => `${k}: ${formatValue(value[k])}`).join(', ')} }`;
  }
  return String(value);
}
