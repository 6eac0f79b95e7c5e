/**
 * Sort specifications `{a: 1, 'b.c': -1}`: BSON comparison order, missing fields sort as null, an
 * array field sorts by its smallest element ascending and its largest descending, ties keep the
 * natural (insertion) order. `$meta` and `$natural` sorts are rejected by name.
 */
import type { Document } from 'bson';
import { commandError, notImplemented } from './errors';
import { leavesAt, splitPath } from './paths';
import { compareValues, isDocument, toJsNumber } from './values';

export type Comparator = (a: Document, b: Document) => number;

export function compileSort(spec: unknown): Comparator | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isDocument(spec)) throw commandError(14, 'sort must be an object');
  const keys: { parts: string[]; direction: number }[] = [];
  for (const path of Object.keys(spec)) {
    const value = spec[path];
    if (path === '$natural') throw notImplemented('$natural sort');
    if (isDocument(value))
      throw notImplemented(`sort by ${Object.keys(value)[0] ?? 'expression'} (field '${path}')`);
    if (path === '' || path.split('.').includes('')) {
      throw commandError(15998, `FieldPath field names may not be empty strings.`);
    }
    if (path.startsWith('$')) throw commandError(16410, `FieldPath field names may not start with '$'.`);
    const direction = toJsNumber(value);
    if (direction !== 1 && direction !== -1) {
      throw commandError(15975, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    }
    keys.push({ parts: splitPath(path), direction });
  }
  if (keys.length === 0) return undefined;
  return (a, b) => {
    for (const { parts, direction } of keys) {
      const cmp = compareValues(sortKey(a, parts, direction), sortKey(b, parts, direction));
      if (cmp !== 0) return cmp * direction;
    }
    return 0;
  };
}

const EMPTY_ARRAY_KEY = undefined; // an empty array sorts before null

function sortKey(doc: Document, parts: readonly string[], direction: number): unknown {
  const candidates: unknown[] = [];
  let sawEmptyArray = false;
  for (const leaf of leavesAt(doc, parts)) {
    if (leaf.missing) candidates.push(null);
    else if (Array.isArray(leaf.value)) {
      if (leaf.value.length === 0) sawEmptyArray = true;
      candidates.push(...leaf.value);
    } else candidates.push(leaf.value);
  }
  if (candidates.length === 0) return sawEmptyArray ? EMPTY_ARRAY_KEY : null;
  let best = candidates[0];
  for (let i = 1; i < candidates.length; i++) {
    const cmp = compareValues(candidates[i], best);
    if (direction > 0 ? cmp < 0 : cmp > 0) best = candidates[i];
  }
  return best;
}
