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

/** A value as JSON would render it (Date → ISO string, ObjectId → hex, NaN → null, …). */
function asJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * The read walk over a freshly deserialised value: unescapes names (when `escaped`) and renders
 * BSON-only types as JSON would. Returns the same reference when nothing changed (copy on write),
 * so ordinary values are not copied. Key order is kept.
 */
function fromNative(value: unknown, escaped: boolean): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // A hand-written double may be NaN, Infinity or -0, which JSON cannot hold.
      return !Number.isFinite(value) || Object.is(value, -0) ? asJson(value) : value;
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = fromNative(item, escaped);
      if (copy === null && mapped !== item) copy = value.slice(0, i);
      if (copy !== null) copy.push(mapped);
    }
    return copy ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return asJson(value);
  const source = value as Record<string, unknown>;
  const names = Object.keys(source);
  let copy: Record<string, unknown> | null = null;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const item = source[name];
    const newName = escaped ? unescapeFieldName(name) : name;
    const mapped = fromNative(item, escaped);
    if (copy === null && (newName !== name || mapped !== item)) {
      copy = {};
      for (let j = 0; j < i; j++) setOwn(copy, names[j]!, source[names[j]!]);
    }
    if (copy !== null) setOwn(copy, newName, mapped);
  }
  return copy ?? value;
}

/** What the write walk found besides the value: whether some name was escaped. */
interface WriteState {
  escaped: boolean;
}

/**
 * The write walk (it runs on every value written): refuses what BSON cannot hold exactly
 * (NOT_NATIVE) and escapes names, copying only the objects that change. Numbers, booleans and
 * null are not even visited.
 */
function toNative(value: unknown, depth: number, state: WriteState): unknown {
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw NOT_NATIVE;
    return value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_NATIVE_DEPTH) throw NOT_NATIVE;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped =
        typeof item === 'object' || typeof item === 'string' ? toNative(item, depth + 1, state) : item;
      if (copy === null && mapped !== item) copy = value.slice(0, i);
      if (copy !== null) copy.push(mapped);
    }
    return copy ?? value;
  }
  const source = value as Record<string, unknown>;
  const names = Object.keys(source);
  let copy: Record<string, unknown> | null = null;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!isWellFormed(name)) throw NOT_NATIVE;
    const item = source[name];
    const newName = escapeFieldName(name);
    const mapped =
      typeof item === 'object' || typeof item === 'string' ? toNative(item, depth + 1, state) : item;
    if (copy === null && (newName !== name || mapped !== item)) {
      copy = {};
      for (let j = 0; j < i; j++) setOwn(copy, names[j]!, source[names[j]!]);
    }
    if (newName !== name) state.escaped = true;
    if (copy !== null) setOwn(copy, newName, mapped);
  }
  return copy ?? value;
}

/** Chooses how to store `value` (a fresh copy the connector owns). */
export function toStoredValue(value: JsonValue): StoredValue {
  const state: WriteState = { escaped: false };
  try {
    const d = toNative(value, 0, state);
    return { kind: 'native', d, escaped: state.escaped };
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
  return fromNative(d, escaped) as JsonValue;
}
