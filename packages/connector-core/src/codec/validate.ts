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
  const ancestors: object[] = [];
  // Path segments are kept on a stack and only turned into text when a value is refused.
  const segments: (string | number)[] = [];
  const refuse = (what: string, hint: string): never => {
    const path = formatPath(segments);
    throw new ConnectorError('INVALID_VALUE', `Cannot store value: ${what} at ${path} ${hint}`, {
      details: { path },
    });
  };
  const visit = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) refuse(describe(v), 'is not representable in JSON.');
        if (Object.is(v, -0)) refuse(describe(v), 'would come back as 0; store 0 instead.');
        return;
      case 'undefined':
        refuse('undefined', 'is not a JSON value; use null or omit the property.');
        break;
      case 'bigint':
        refuse('a BigInt', 'is not a JSON value; store it as a string.');
        break;
      case 'function':
      case 'symbol':
        refuse(describe(v), 'is not a JSON value.');
        break;
      case 'object': {
        if (v === null) return;
        if (depth >= MAX_VALUE_DEPTH) refuse('nesting', `deeper than ${MAX_VALUE_DEPTH} levels is refused.`);
        if (ancestors.includes(v)) refuse('a circular reference', 'cannot be serialised.');
        ancestors.push(v);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            segments.push(i);
            if (!(i in v)) refuse('a hole in a sparse array', 'would come back as null.');
            visit(v[i], depth + 1);
            segments.pop();
          }
        } else {
          const proto: unknown = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) {
            refuse(describe(v), 'is not a plain object; convert it (e.g. a Date to an ISO string).');
          }
          if (Object.getOwnPropertySymbols(v).length > 0) {
            refuse('a symbol-keyed property', 'would be silently dropped by serialisation.');
          }
          const record = v as Record<string, unknown>;
          for (const key in record) {
            if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
            segments.push(key);
            visit(record[key], depth + 1);
            segments.pop();
          }
        }
        ancestors.pop();
        return;
      }
    }
  };
  visit(value, 0);
}
