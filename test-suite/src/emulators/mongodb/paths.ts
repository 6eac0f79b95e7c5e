/**
 * Dotted field paths (`a.b.0.c`) and how MongoDB follows them through embedded documents and
 * arrays: a path step into an array looks into every element that is a document, and a numeric
 * step also selects that array position.
 */
import type { Document } from 'bson';
import { hasField, isDocument } from './values';

/** One place a path leads to in a document: a value, or a branch where the field is missing. */
export interface Leaf {
  readonly value: unknown;
  readonly missing: boolean;
}

const MISSING: Leaf = { value: undefined, missing: true };

export function splitPath(path: string): string[] {
  return path.split('.');
}

export function isArrayIndex(part: string): boolean {
  return /^(0|[1-9]\d*)$/.test(part);
}

/** Every value the path reaches (arrays met at the end of the path are returned whole). */
export function leavesAt(doc: Document, parts: readonly string[]): Leaf[] {
  const out: Leaf[] = [];
  walk(doc, parts, 0, out, false);
  return out;
}

function walk(value: unknown, parts: readonly string[], i: number, out: Leaf[], inArray: boolean): void {
  if (i === parts.length) {
    out.push({ value, missing: false });
    return;
  }
  const part = parts[i];
  if (isDocument(value)) {
    if (hasField(value, part)) walk(value[part], parts, i + 1, out, false);
    else out.push(MISSING);
    return;
  }
  if (Array.isArray(value)) {
    const before = out.length;
    if (isArrayIndex(part)) {
      const index = Number(part);
      if (index < value.length) walk(value[index], parts, i + 1, out, false);
    }
    for (const element of value) {
      if (isDocument(element)) walk(element, parts, i, out, true);
    }
    if (out.length === before && !inArray) out.push(MISSING);
    return;
  }
  if (!inArray) out.push(MISSING);
}

/** The value at a path without any array expansion (numeric steps index arrays); undefined if absent. */
export function getExact(doc: Document, parts: readonly string[]): unknown {
  let current: unknown = doc;
  for (const part of parts) {
    if (isDocument(current)) {
      if (!hasField(current, part)) return undefined;
      current = current[part];
    } else if (Array.isArray(current) && isArrayIndex(part)) {
      current = current[Number(part)];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Compares two paths component by component; numeric components compare as numbers. */
export function comparePaths(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) continue;
    if (isArrayIndex(a[i]) && isArrayIndex(b[i])) return Number(a[i]) - Number(b[i]);
    return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

/** True when one path is the other or lies inside it (`a` and `a.b`). */
export function pathsOverlap(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
