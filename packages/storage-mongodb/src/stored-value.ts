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

/**
 * Walks a value, renaming object keys with `rename`; returns the same reference when nothing
 * changed (copy on write) so ordinary values are not copied. Key order is kept.
 */
function mapKeys(
  value: unknown,
  depth: number,
  rename: (name: string) => string,
  validate: boolean,
  state: { renamed: boolean },
): unknown {
  if (typeof value === 'string') {
    if (validate && !isWellFormed(value)) throw NOT_NATIVE;
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (validate && depth >= MAX_NATIVE_DEPTH) throw NOT_NATIVE;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = mapKeys(item, depth + 1, rename, validate, state);
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
    if (validate && !isWellFormed(name)) throw NOT_NATIVE;
    const item = source[name];
    const newName = rename(name);
    const mapped = mapKeys(item, depth + 1, rename, validate, state);
    if (copy === null && (newName !== name || mapped !== item)) {
      copy = {};
      for (let j = 0; j < i; j++) setOwn(copy, names[j]!, source[names[j]!]);
    }
    if (newName !== name) state.renamed = true;
    if (copy !== null) setOwn(copy, newName, mapped);
  }
  return copy ?? value;
}

/** Chooses how to store `value` (a fresh copy the connector owns). */
export function toStoredValue(value: JsonValue): StoredValue {
  const state = { renamed: false };
  try {
    const d = mapKeys(value, 0, escapeFieldName, true, state);
    return { kind: 'native', d, escaped: state.renamed };
  } catch (err) {
    if (err !== NOT_NATIVE) throw err;
    return { kind: 'json', j: JSON.stringify(value) };
  }
}

/** Undoes `toStoredValue`'s escaping on a freshly deserialised `d`. */
export function fromEscapedValue(d: unknown): JsonValue {
  return mapKeys(d, 0, unescapeFieldName, false, { renamed: false }) as JsonValue;
}
