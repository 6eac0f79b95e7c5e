import { ConnectorError } from '../errors';
import type { JsonValue } from '../types';

/** Deeper than this is refused: it protects every codec and backend from stack exhaustion. */
export const MAX_VALUE_DEPTH = 512;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (Object.is(value, -0)) return '-0 (negative zero)';
    return String(value);
  }
  if (typeof value === 'object') {
    const ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor;
    return `an instance of ${ctor?.name || 'an unknown class'}`;
  }
  return typeof value === 'function' ? 'a function' : `a ${typeof value}`;
}

/** Builds `$.a[3]["b c"]` from the path segments; only called when a value is refused. */
function formatPath(segments: readonly (string | number)[]): string {
  let path = '$';
  for (const s of segments) {
    if (typeof s === 'number') path += `[${s}]`;
    else path += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return path;
}

/**
 * A refused part, thrown inside the walk. The path is collected while the error unwinds (each
 * level adds its segment), so the walk keeps no path of its own while nothing is wrong.
 */
class Refusal {
  /** Innermost segment first. */
  readonly segments: (string | number)[] = [];
  constructor(
    readonly what: string,
    readonly hint: string,
  ) {}

  toError(): ConnectorError {
    const path = formatPath(this.segments.reverse());
    return new ConnectorError('INVALID_VALUE', `Cannot store value: ${this.what} at ${path} ${this.hint}`, {
      details: { path },
    });
  }
}

/** Adds the segment a refusal passed through (anything else a getter threw passes unchanged). */
function within(err: unknown, segment: string | number): unknown {
  if (err instanceof Refusal) err.segments.push(segment);
  return err;
}

/** The refusal for a value that is not an object or array (those are walked), or null. */
function checkPrimitive(v: unknown): Refusal | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'object': // null: objects never get here
      return null;
    case 'number':
      if (!Number.isFinite(v)) return new Refusal(describe(v), 'is not representable in JSON.');
      if (v === 0 && 1 / v < 0) return new Refusal(describe(v), 'would come back as 0; store 0 instead.');
      return null;
    case 'undefined':
      return new Refusal('undefined', 'is not a JSON value; use null or omit the property.');
    case 'bigint':
      return new Refusal('a BigInt', 'is not a JSON value; store it as a string.');
    default:
      return new Refusal(describe(v), 'is not a JSON value.');
  }
}

/** Depth, cycle and (for non-arrays) plain-object checks on entering an object. */
function checkObject(v: object, isArray: boolean, depth: number, ancestors: object[]): void {
  if (depth >= MAX_VALUE_DEPTH) {
    throw new Refusal('nesting', `deeper than ${MAX_VALUE_DEPTH} levels is refused.`);
  }
  if (ancestors.includes(v)) throw new Refusal('a circular reference', 'cannot be serialised.');
  if (isArray) return;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    throw new Refusal(describe(v), 'is not a plain object; convert it (e.g. a Date to an ISO string).');
  }
  if (Object.getOwnPropertySymbols(v).length > 0) {
    throw new Refusal('a symbol-keyed property', 'would be silently dropped by serialisation.');
  }
}

/** The refusal for a primitive, or for the hole an array element `undefined` may be. */
function checkItem(item: unknown, list: readonly unknown[], index: number): Refusal | null {
  if (item === undefined && !(index in list)) {
    return new Refusal('a hole in a sparse array', 'would come back as null.');
  }
  return checkPrimitive(item);
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The validating walk without a copy (what `encode` needs before serialising). */
function check(v: object, depth: number, ancestors: object[]): void {
  const isArray = Array.isArray(v);
  checkObject(v, isArray, depth, ancestors);
  ancestors.push(v);
  if (isArray) {
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      visitChecked(item, typeof item === 'object' ? null : checkItem(item, v, i), i, depth, ancestors);
    }
  } else {
    const record = v as Record<string, unknown>;
    for (const key in record) {
      if (!hasOwn.call(record, key)) continue;
      const item = record[key];
      visitChecked(item, typeof item === 'object' ? null : checkPrimitive(item), key, depth, ancestors);
    }
  }
  ancestors.pop();
}

/** One child of `check`: throws its refusal, or walks it when it is an object. */
function visitChecked(
  item: unknown,
  refused: Refusal | null,
  segment: string | number,
  depth: number,
  ancestors: object[],
): void {
  if (refused !== null) {
    refused.segments.push(segment);
    throw refused;
  }
  if (typeof item !== 'object' || item === null) return;
  try {
    check(item, depth + 1, ancestors);
  } catch (err) {
    throw within(err, segment);
  }
}

/** Sets an own data property, "__proto__" included (assigning it would set the prototype instead). */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** A plain array with the same elements (and holes) as `v`, each read once. */
function arrayCopy(v: readonly unknown[]): unknown[] {
  // slice() of a plain array is a plain array; of a subclass it would build the subclass.
  if (Object.getPrototypeOf(v) === Array.prototype) return v.slice();
  const list: unknown[] = [];
  list.length = v.length;
  for (let i = 0; i < v.length; i++) if (i in v) list[i] = v[i];
  return list;
}

/**
 * The validating walk that also copies. Each array or object is first copied whole (`slice`, or
 * an object spread, which reads every property once and lays the copy out like the original:
 * compact, and cheaper than building it key by key), then the copy is checked and its nested
 * objects are replaced by their own copies. The check reads the copy, so a getter cannot show the
 * check one value and the copy another.
 */
function copyOf(v: object, depth: number, ancestors: object[]): unknown {
  const isArray = Array.isArray(v);
  checkObject(v, isArray, depth, ancestors);
  ancestors.push(v);
  let out: unknown;
  if (isArray) {
    const list = arrayCopy(v);
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (typeof item === 'object' && item !== null) {
        try {
          list[i] = copyOf(item, depth + 1, ancestors);
        } catch (err) {
          throw within(err, i);
        }
      } else {
        const refused = checkItem(item, list, i);
        if (refused !== null) {
          refused.segments.push(i);
          throw refused;
        }
      }
    }
    out = list;
  } else {
    const object: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const key in object) {
      if (!hasOwn.call(object, key)) continue;
      const item = object[key];
      if (typeof item === 'object' && item !== null) {
        let copy: unknown;
        try {
          copy = copyOf(item, depth + 1, ancestors);
        } catch (err) {
          throw within(err, key);
        }
        setOwn(object, key, copy);
      } else {
        const refused = checkPrimitive(item);
        if (refused !== null) {
          refused.segments.push(key);
          throw refused;
        }
      }
    }
    out = object;
  }
  ancestors.pop();
  return out;
}

/**
 * Checks that `value` is exactly a JSON value, so that every codec round-trips it faithfully.
 * Throws INVALID_VALUE naming the JSONPath of the first offending part.
 */
export function assertJsonValue(value: unknown): asserts value is JsonValue {
  try {
    if (typeof value === 'object' && value !== null) check(value, 0, []);
    else {
      const refused = checkPrimitive(value);
      if (refused !== null) throw refused;
    }
  } catch (err) {
    throw err instanceof Refusal ? err.toError() : err;
  }
}

/**
 * The same check, returning a deep copy made in the same walk: cheaper than serialising and
 * parsing back for a connector that needs a private copy of the value (a document store).
 */
export function copyJsonValue(value: unknown): JsonValue {
  try {
    if (typeof value === 'object' && value !== null) return copyOf(value, 0, []) as JsonValue;
    const refused = checkPrimitive(value);
    if (refused !== null) throw refused;
    return value as JsonValue;
  } catch (err) {
    throw err instanceof Refusal ? err.toError() : err;
  }
}

/**
 * An upper bound of the UTF-8 JSON text of a value that passed the check, without building it:
 * at most 6 bytes per UTF-16 unit of a string or key (`\u001f`, or a lone surrogate), 25 for a
 * number (`-2.2250738585072014e-308` is 24), 5 for a literal, and the punctuation.
 */
export function jsonSizeBound(value: JsonValue): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return 25;
    case 'boolean':
      return 5;
  }
  if (value === null) return 4;
  let bytes = 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) bytes += jsonSizeBound(value[i]!) + 1;
    return bytes;
  }
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    bytes += key.length * 6 + 4 + jsonSizeBound(value[key]!);
  }
  return bytes;
}
