/**
 * Find projections: inclusion (`{a: 1, 'b.c': 1}`, `_id` included unless `_id: 0`) or exclusion
 * (`{a: 0}`), on dotted paths through embedded documents and arrays. Projection operators
 * (`$slice`, `$elemMatch`, `$meta`, positional `.$`) and expressions are rejected by name.
 */
import type { Document } from 'bson';
import { commandError, notImplemented } from './errors';
import { hasField, isDocument, isNumber, isTruthy, setField } from './values';

export type Projector = (doc: Document) => Document;

type Tree = Map<string, Tree | true>;

export function compileProjection(spec: unknown): Projector | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isDocument(spec)) throw commandError(14, 'projection must be an object');
  const keys = Object.keys(spec);
  if (keys.length === 0) return undefined;

  let includeId = true;
  let mode: 'include' | 'exclude' | undefined;
  const tree: Tree = new Map();
  for (const path of keys) {
    const value = spec[path];
    if (path.startsWith('$')) throw notImplemented(`projection operator ${path}`);
    if (path.endsWith('.$') || path.includes('.$.') || path === '$') {
      throw notImplemented(`positional projection '${path}'`);
    }
    if (typeof value !== 'boolean' && !isNumber(value)) {
      if (isDocument(value)) {
        const op = Object.keys(value)[0] ?? '{}';
        throw notImplemented(
          `projection operator ${op.startsWith('$') ? op : 'expressions'} (field '${path}')`,
        );
      }
      throw notImplemented(`projection expressions or literal values (field '${path}')`);
    }
    const include = isTruthy(value);
    if (path === '_id') {
      includeId = include;
      continue;
    }
    if (mode === undefined) mode = include ? 'include' : 'exclude';
    else if (mode === 'include' && !include) {
      throw commandError(31254, `Cannot do exclusion on field ${path} in inclusion projection`);
    } else if (mode === 'exclude' && include) {
      throw commandError(31253, `Cannot do inclusion on field ${path} in exclusion projection`);
    }
    addPath(tree, path);
  }

  if (mode === undefined) {
    // Only `_id` was named.
    if (includeId) return (doc) => (hasField(doc, '_id') ? { _id: doc._id } : {});
    return (doc) => exclude(doc, new Map([['_id', true]]));
  }
  if (mode === 'include') {
    return (doc) => {
      const out: Document = {};
      if (includeId && hasField(doc, '_id')) out._id = doc._id;
      return include(doc, tree, out, includeId);
    };
  }
  if (!includeId) tree.set('_id', true);
  return (doc) => exclude(doc, tree);
}

function addPath(tree: Tree, path: string): void {
  const parts = path.split('.');
  let node = tree;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    const existing = node.get(part);
    if (existing === true || (last && existing !== undefined)) {
      throw commandError(31250, `Path collision at ${path}`);
    }
    if (last) {
      node.set(part, true);
    } else {
      const next: Tree = existing ?? new Map();
      node.set(part, next);
      node = next;
    }
  }
}

function include(doc: Document, tree: Tree, out: Document, skipId: boolean): Document {
  for (const key of Object.keys(doc)) {
    if (skipId && key === '_id') continue;
    const rule = tree.get(key);
    if (rule === undefined) continue;
    const value = doc[key];
    if (rule === true) {
      setField(out, key, value);
    } else if (isDocument(value)) {
      setField(out, key, include(value, rule, {}, false));
    } else if (Array.isArray(value)) {
      setField(out, key, includeInArray(value, rule));
    }
  }
  return out;
}

function includeInArray(values: unknown[], tree: Tree): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    if (isDocument(value)) out.push(include(value, tree, {}, false));
    else if (Array.isArray(value)) out.push(includeInArray(value, tree));
  }
  return out;
}

function exclude(doc: Document, tree: Tree): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) {
    const rule = tree.get(key);
    const value = doc[key];
    if (rule === true) continue;
    if (rule === undefined) setField(out, key, value);
    else if (isDocument(value)) setField(out, key, exclude(value, rule));
    else if (Array.isArray(value)) setField(out, key, excludeInArray(value, rule));
    else setField(out, key, value);
  }
  return out;
}

function excludeInArray(values: unknown[], tree: Tree): unknown[] {
  return values.map((value) => {
    if (isDocument(value)) return exclude(value, tree);
    if (Array.isArray(value)) return excludeInArray(value, tree);
    return value;
  });
}
