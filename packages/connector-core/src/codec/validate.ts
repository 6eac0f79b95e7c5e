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
 * Checks that `value` is exactly a JSON value, so that every codec round-trips it faithfully.
 * Throws INVALID_VALUE naming the JSONPath of the first offending part.
 */
export function assertJsonValue(value: unknown): asserts value is JsonValue {
  walk(value, false);
}

/**
 * The same check, returning a deep copy made in the same walk: cheaper than serialising and
 * parsing back for a connector that needs a private copy of the value (a document store).
 */
export function copyJsonValue(value: unknown): JsonValue {
  return walk(value, true) as JsonValue;
}

/** Validates `value`; when `copy`, also builds and returns a deep copy of it. */
function walk(value: unknown, copy: boolean): unknown {
  const ancestors: object[] = [];
  // Path segments are kept on a stack and only turned into text when a value is refused.
  const segments: (string | number)[] = [];
  const refuse = (what: string, hint: string): never => {
    const path = formatPath(segments);
    throw new ConnectorError('INVALID_VALUE', `Cannot store value: ${what} at ${path} ${hint}`, {
      details: { path },
    });
  };
  const visit = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        if (!Number.isFinite(v)) refuse(describe(v), 'is not representable in JSON.');
        if (Object.is(v, -0)) refuse(describe(v), 'would come back as 0; store 0 instead.');
        return v;
      case 'undefined':
        return refuse('undefined', 'is not a JSON value; use null or omit the property.');
      case 'bigint':
        return refuse('a BigInt', 'is not a JSON value; store it as a string.');
      case 'function':
      case 'symbol':
        return refuse(describe(v), 'is not a JSON value.');
      case 'object': {
        if (v === null) return null;
        if (depth >= MAX_VALUE_DEPTH) refuse('nesting', `deeper than ${MAX_VALUE_DEPTH} levels is refused.`);
        if (ancestors.includes(v)) refuse('a circular reference', 'cannot be serialised.');
        ancestors.push(v);
        let out: unknown = undefined;
        if (Array.isArray(v)) {
          const list: unknown[] | null = copy ? [] : null;
          for (let i = 0; i < v.length; i++) {
            segments.push(i);
            if (!(i in v)) refuse('a hole in a sparse array', 'would come back as null.');
            const item = visit(v[i], depth + 1);
            if (list) list.push(item);
            segments.pop();
          }
          out = list;
        } else {
          const proto: unknown = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) {
            refuse(describe(v), 'is not a plain object; convert it (e.g. a Date to an ISO string).');
          }
          if (Object.getOwnPropertySymbols(v).length > 0) {
            refuse('a symbol-keyed property', 'would be silently dropped by serialisation.');
          }
          const record = v as Record<string, unknown>;
          const object: Record<string, unknown> | null = copy ? {} : null;
          for (const key in record) {
            if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
            segments.push(key);
            const item = visit(record[key], depth + 1);
            if (object) {
              // Assigning "__proto__" would set the prototype instead of adding a key.
              if (key === '__proto__') {
                Object.defineProperty(object, key, {
                  value: item,
                  enumerable: true,
                  writable: true,
                  configurable: true,
                });
              } else {
                object[key] = item;
              }
            }
            segments.pop();
          }
          out = object;
        }
        ancestors.pop();
        return out;
      }
      default:
        return refuse(describe(v), 'is not a JSON value.');
    }
  };
  return visit(value, 0);
}
