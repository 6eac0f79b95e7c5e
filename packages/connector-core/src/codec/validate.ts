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

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function refuse(path: string, what: string, hint: string): never {
  throw new ConnectorError('INVALID_VALUE', `Cannot store value: ${what} at ${path} ${hint}`, {
    details: { path },
  });
}

/**
 * Checks that `value` is exactly a JSON value, so that every codec round-trips it faithfully.
 * Throws INVALID_VALUE naming the JSONPath of the first offending part.
 */
export function assertJsonValue(value: unknown): asserts value is JsonValue {
  const ancestors: object[] = [];
  const visit = (v: unknown, path: string, depth: number): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) refuse(path, describe(v), 'is not representable in JSON.');
        if (Object.is(v, -0)) refuse(path, describe(v), 'would come back as 0; store 0 instead.');
        return;
      case 'undefined':
        refuse(path, 'undefined', 'is not a JSON value; use null or omit the property.');
        break;
      case 'bigint':
        refuse(path, 'a BigInt', 'is not a JSON value; store it as a string.');
        break;
      case 'function':
      case 'symbol':
        refuse(path, describe(v), 'is not a JSON value.');
        break;
      case 'object': {
        if (v === null) return;
        if (depth >= MAX_VALUE_DEPTH)
          refuse(path, 'nesting', `deeper than ${MAX_VALUE_DEPTH} levels is refused.`);
        if (ancestors.includes(v)) refuse(path, 'a circular reference', 'cannot be serialised.');
        ancestors.push(v);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) refuse(`${path}[${i}]`, 'a hole in a sparse array', 'would come back as null.');
            visit(v[i], `${path}[${i}]`, depth + 1);
          }
        } else {
          const proto: unknown = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) {
            refuse(path, describe(v), 'is not a plain object; convert it (e.g. a Date to an ISO string).');
          }
          if (Object.getOwnPropertySymbols(v).length > 0) {
            refuse(path, 'a symbol-keyed property', 'would be silently dropped by serialisation.');
          }
          const record = v as Record<string, unknown>;
          for (const key of Object.keys(record)) visit(record[key], childPath(path, key), depth + 1);
        }
        ancestors.pop();
        return;
      }
    }
  };
  visit(value, '$', 0);
}
