import type { JsonValue } from '@connector-kit/connector-core';
import { escapeFieldName, unescapeFieldName } from './field-names';

/**
 * Nesting MongoDB accepts is 100 levels for the whole document; the value sits one level down.
 * Deeper values are stored as JSON text.
 */
export const MAX_NATIVE_DEPTH = 90;

/** How a value is held in a document: natively in `d`, or as JSON text in `j`. */
export type StoredValue = { kind: 'native'; d: unknown; escaped: boolean } | { kind: 'json'; j: string };

/** Thrown inside the walk when the value cannot be held natively; caught right below. */
const NOT_NATIVE = Symbol('not representable as BSON');

type StringWithWellFormed = string & { isWellFormed(): boolean };

/** BSON strings are UTF-8: a lone surrogate would come back as U+FFFD. */
function isWellFormed(text: string): boolean {
  return (text as StringWithWellFormed).isWellFormed();
}

/** Sets an own property, also for `__proto__` (plain assignment would change the prototype). */
function setOwn(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

/** What one walk over a value does. */
interface Walk {
  rename: (name: string) => string;
  /** Writing: refuse (NOT_NATIVE) what BSON cannot hold exactly. */
  validate: boolean;
  /** Reading: turn BSON-only types in hand-written documents into what JSON.stringify makes of them. */
  normalise: boolean;
  renamed: boolean;
}

const keepName = (name: string): string => name;

/** A value as JSON would render it (Date → ISO string, ObjectId → hex, NaN → null, …). */
function asJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * Walks a value, renaming object keys; returns the same reference when nothing changed (copy on
 * write) so ordinary values are not copied. Key order is kept.
 */
function walk(value: unknown, depth: number, mode: Walk): unknown {
  switch (typeof value) {
    case 'string':
      if (mode.validate && !isWellFormed(value)) throw NOT_NATIVE;
      return value;
    case 'boolean':
      return value;
    case 'number':
      // A hand-written double may be NaN, Infinity or -0, which JSON cannot hold.
      return mode.normalise && (!Number.isFinite(value) || Object.is(value, -0)) ? asJson(value) : value;
    case 'object':
      break;
    default:
      return mode.normalise ? null : value;
  }
  if (value === null) return value;
  if (mode.validate && depth >= MAX_NATIVE_DEPTH) throw NOT_NATIVE;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = walk(item, depth + 1, mode);
      if (copy === null && mapped !== item) copy = value.slice(0, i);
      if (copy !== null) copy.push(mapped);
    }
    return copy ?? value;
  }
  if (mode.normalise) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return asJson(value);
  }
  const source = value as Record<string, unknown>;
  const names = Object.keys(source);
  let copy: Record<string, unknown> | null = null;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (mode.validate && !isWellFormed(name)) throw NOT_NATIVE;
    const item = source[name];
    const newName = mode.rename(name);
    const mapped = walk(item, depth + 1, mode);
    if (copy === null && (newName !== name || mapped !== item)) {
      copy = {};
      for (let j = 0; j < i; j++) setOwn(copy, names[j]!, source[names[j]!]);
    }
    if (newName !== name) mode.renamed = true;
    if (copy !== null) setOwn(copy, newName, mapped);
  }
  return copy ?? value;
}

/** Chooses how to store `value` (a fresh copy the connector owns). */
export function toStoredValue(value: JsonValue): StoredValue {
  const mode: Walk = { rename: escapeFieldName, validate: true, normalise: false, renamed: false };
  try {
    const d = walk(value, 0, mode);
    return { kind: 'native', d, escaped: mode.renamed };
  } catch (err) {
    if (err !== NOT_NATIVE) throw err;
    return { kind: 'json', j: JSON.stringify(value) };
  }
}

/**
 * The JSON value of a freshly deserialised `d`: undoes the escaping when `escaped`, and renders
 * BSON-only types (in documents written by other programs) as JSON.stringify would.
 */
export function fromStoredValue(d: unknown, escaped: boolean): JsonValue {
  const mode: Walk = {
    rename: escaped ? unescapeFieldName : keepName,
    validate: false,
    normalise: true,
    renamed: false,
  };
  return walk(d, 0, mode) as JsonValue;
}
