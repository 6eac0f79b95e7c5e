/**
 * Update documents: a replacement document, or the operators `$set`, `$unset`, `$setOnInsert` and
 * `$inc` on dotted paths. Other operators, positional paths (`a.$`, `a.$[]`) and pipeline updates
 * are rejected by name when the update is compiled.
 */
import { Decimal128, Double, Int32, Long, ObjectId, type Document } from 'bson';
import { commandError, ErrorCode, notImplemented } from './errors';
import { equalityConditions } from './query';
import { comparePaths, getExact, isArrayIndex, pathsOverlap, splitPath } from './paths';
import {
  cloneDocument,
  cloneValue,
  formatValue,
  hasField,
  isDocument,
  isNumber,
  setField,
  typeName,
  valuesEqual,
} from './values';

type OperatorName = '$set' | '$unset' | '$setOnInsert' | '$inc';

interface FieldOperation {
  op: OperatorName;
  path: string;
  parts: string[];
  value: unknown;
}

export type CompiledUpdate =
  { kind: 'replacement'; replacement: Document } | { kind: 'operators'; operations: FieldOperation[] };

const SUPPORTED = new Set<string>(['$set', '$unset', '$setOnInsert', '$inc']);
const KNOWN_UNSUPPORTED = new Set([
  '$currentDate',
  '$min',
  '$max',
  '$mul',
  '$rename',
  '$addToSet',
  '$pop',
  '$pull',
  '$push',
  '$pullAll',
  '$bit',
  '$each',
  '$position',
  '$slice',
  '$sort',
]);

export function compileUpdate(update: unknown): CompiledUpdate {
  if (Array.isArray(update))
    throw notImplemented('pipeline-style updates (an aggregation pipeline as the update)');
  if (!isDocument(update)) {
    throw commandError(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
  }
  const keys = Object.keys(update);
  if (keys.length === 0 || !keys[0].startsWith('$')) {
    for (const key of keys) {
      if (key.startsWith('$')) {
        throw commandError(
          ErrorCode.DollarPrefixedFieldName,
          `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
      }
    }
    return { kind: 'replacement', replacement: update };
  }

  const operations: FieldOperation[] = [];
  for (const op of keys) {
    if (!SUPPORTED.has(op)) {
      if (KNOWN_UNSUPPORTED.has(op)) throw notImplemented(`update operator ${op}`);
      throw commandError(
        ErrorCode.FailedToParse,
        `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    const fields = update[op];
    if (!isDocument(fields)) {
      throw commandError(
        ErrorCode.FailedToParse,
        `Modifiers operate on fields but we found type ${typeName(fields)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${formatValue(fields)}}`,
      );
    }
    for (const path of Object.keys(fields)) {
      const parts = splitPath(path);
      if (path === '' || parts.includes('')) {
        throw commandError(
          ErrorCode.EmptyFieldName,
          `The update path '${path}' contains an empty field name, which is not allowed.`,
        );
      }
      for (const part of parts) {
        if (part === '$' || part.startsWith('$[')) {
          throw notImplemented(`positional update path '${path}' (${part})`);
        }
      }
      const value = fields[path];
      if (op === '$inc' && !isNumber(value)) {
        throw commandError(
          ErrorCode.TypeMismatch,
          `Cannot increment with non-numeric argument: {${path}: ${formatValue(value)}}`,
        );
      }
      operations.push({ op: op as OperatorName, path, parts, value });
    }
  }
  for (let i = 0; i < operations.length; i++) {
    for (let j = i + 1; j < operations.length; j++) {
      if (pathsOverlap(operations[i].parts, operations[j].parts)) {
        const [shorter, longer] =
          operations[i].parts.length <= operations[j].parts.length
            ? [operations[i], operations[j]]
            : [operations[j], operations[i]];
        throw commandError(
          ErrorCode.ConflictingUpdateOperators,
          `Updating the path '${longer.path}' would create a conflict at '${shorter.path}'`,
        );
      }
    }
  }
  // MongoDB 5.0+ applies operator fields in lexicographic (numeric for numeric names) path order.
  operations.sort((a, b) => comparePaths(a.parts, b.parts));
  return { kind: 'operators', operations };
}

/**
 * Applies an update to an existing document (`insert` false) or to the seed of an upsert (`insert`
 * true, where `$setOnInsert` applies and top-level `$` fields are allowed). Returns a new document.
 */
export function applyUpdate(update: CompiledUpdate, original: Document, insert: boolean): Document {
  if (update.kind === 'replacement') {
    const out: Document = {};
    if (hasField(original, '_id')) out._id = original._id;
    for (const key of Object.keys(update.replacement)) {
      if (key === '_id' && hasField(out, '_id')) {
        if (!valuesEqual(out._id, update.replacement._id)) throw immutableId();
        continue;
      }
      setField(out, key, cloneValue(update.replacement[key]));
    }
    return out;
  }
  const doc = cloneDocument(original);
  for (const operation of update.operations) {
    const { op, parts } = operation;
    if (op === '$setOnInsert' && !insert) continue;
    if (!insert && op !== '$unset' && parts[0].startsWith('$')) {
      throw commandError(
        ErrorCode.DollarPrefixedFieldName,
        `The dollar ($) prefixed field '${parts[0]}' in '${operation.path}' is not valid for storage.`,
      );
    }
    if (op === '$set' || op === '$setOnInsert') {
      setPath(doc, parts, cloneValue(operation.value));
    } else if (op === '$unset') {
      unsetPath(doc, parts);
    } else {
      const current = getExact(doc, parts);
      if (current === undefined) {
        setPath(doc, parts, operation.value);
      } else if (!isNumber(current)) {
        throw commandError(
          ErrorCode.TypeMismatch,
          `Cannot apply $inc to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${parts[parts.length - 1]}' of non-numeric type ${typeName(current)}`,
        );
      } else {
        setPath(doc, parts, add(current, operation.value as Int32 | Double | Long | Decimal128, doc));
      }
    }
  }
  if (hasField(original, '_id') && !(hasField(doc, '_id') && valuesEqual(doc._id, original._id))) {
    throw immutableId();
  }
  return doc;
}

function immutableId() {
  return commandError(
    ErrorCode.ImmutableField,
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );
}

/** The document an upsert inserts: the filter's equality fields (or only its `_id` for a replacement), then the update. */
export function upsertDocument(filter: unknown, update: CompiledUpdate): Document {
  const seed: Document = {};
  const seen: string[][] = [];
  for (const [path, value] of equalityConditions(filter)) {
    if (update.kind === 'replacement' && path !== '_id') continue;
    const parts = splitPath(path);
    if (seen.some((p) => pathsOverlap(p, parts))) {
      throw commandError(
        ErrorCode.NotSingleValueField,
        `cannot infer query fields to set, path '${path}' is matched twice`,
      );
    }
    seen.push(parts);
    setPath(seed, parts, cloneValue(value));
  }
  return withIdFirst(applyUpdate(update, seed, true));
}

/** Puts `_id` first, generating an ObjectId when the document has none (as the server does on insert). */
export function withIdFirst(doc: Document): Document {
  const keys = Object.keys(doc);
  if (keys[0] === '_id') return doc;
  const out: Document = { _id: hasField(doc, '_id') ? doc._id : new ObjectId() };
  for (const key of keys) if (key !== '_id') setField(out, key, doc[key]);
  return out;
}

function pathNotViable(part: string, parent: string, value: unknown) {
  return commandError(
    ErrorCode.PathNotViable,
    `Cannot create field '${part}' in element {${parent}: ${formatValue(value)}}`,
  );
}

function setPath(doc: Document, parts: readonly string[], value: unknown): void {
  let container: Document | unknown[] = doc;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    if (Array.isArray(container)) {
      if (!isArrayIndex(part)) throw pathNotViable(part, parts[i - 1], container);
      const index = Number(part);
      while (container.length < index) container.push(null);
      if (last) {
        container[index] = value;
        return;
      }
      let next: unknown = container[index];
      if (next === undefined || next === null) {
        if (next === null && index < container.length) throw pathNotViable(parts[i + 1], part, next);
        next = {};
        container[index] = next;
      }
      if (!isDocument(next) && !Array.isArray(next)) throw pathNotViable(parts[i + 1], part, next);
      container = next;
    } else {
      if (last) {
        setField(container, part, value);
        return;
      }
      let next: unknown = hasField(container, part) ? container[part] : undefined;
      if (next === undefined) {
        next = {};
        setField(container, part, next);
      }
      if (!isDocument(next) && !Array.isArray(next)) throw pathNotViable(parts[i + 1], part, next);
      container = next;
    }
  }
}

function unsetPath(doc: Document, parts: readonly string[]): void {
  let container: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    container = getExact(container as Document, [parts[i]]);
    if (!isDocument(container) && !Array.isArray(container)) return;
  }
  const last = parts[parts.length - 1];
  if (Array.isArray(container)) {
    // MongoDB sets an unset array element to null rather than shifting the array.
    if (isArrayIndex(last) && Number(last) < container.length) container[Number(last)] = null;
  } else if (isDocument(container) && hasField(container, last)) {
    delete container[last];
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function add(
  a: Int32 | Double | Long | Decimal128 | number,
  b: Int32 | Double | Long | Decimal128 | number,
  doc: Document,
): Int32 | Double | Long {
  if (a instanceof Decimal128 || b instanceof Decimal128) throw notImplemented('$inc on Decimal128 values');
  const isDouble = (v: unknown) => v instanceof Double || typeof v === 'number';
  if (isDouble(a) || isDouble(b)) return new Double(toDouble(a) + toDouble(b));
  if (a instanceof Int32 && b instanceof Int32) {
    const sum = a.value + b.value;
    if (sum >= INT32_MIN && sum <= INT32_MAX) return new Int32(sum);
    return Long.fromNumber(sum);
  }
  const sum = toBig(a) + toBig(b);
  if (sum < INT64_MIN || sum > INT64_MAX) {
    throw commandError(
      ErrorCode.BadValue,
      `Failed to apply $inc operations to current value (${formatValue(a)}) for document {_id: ${formatValue(doc._id)}}`,
    );
  }
  return Long.fromBigInt(sum);
}

function toDouble(v: Int32 | Double | Long | number): number {
  if (typeof v === 'number') return v;
  if (v instanceof Long) return v.toNumber();
  return v.value;
}

function toBig(v: Int32 | Double | Long | number): bigint {
  if (v instanceof Long) return v.toBigInt();
  return BigInt(toDouble(v));
}
