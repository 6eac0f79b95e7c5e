/**
 * Query filters: equality on dotted paths (matching array elements as MongoDB does), the comparison
 * operators, `$in`/`$nin`, `$exists`, `$and`/`$or`. Every other operator is rejected by name when the
 * filter is compiled, before anything is read or written.
 */
import { BSONRegExp, type Document } from 'bson';
import { commandError, ErrorCode, notImplemented } from './errors';
import { leavesAt, splitPath, type Leaf } from './paths';
import { compareValues, hasField, isDocument, isTruthy, typeRank, valuesEqual } from './values';

export type Predicate = (doc: Document) => boolean;
type LeafTest = (leaves: readonly Leaf[]) => boolean;

/** Query operators MongoDB has and the emulator does not (they are rejected by name). */
const KNOWN_FIELD_OPERATORS = new Set([
  '$type',
  '$mod',
  '$regex',
  '$options',
  '$text',
  '$where',
  '$all',
  '$elemMatch',
  '$size',
  '$not',
  '$bitsAllSet',
  '$bitsAnySet',
  '$bitsAllClear',
  '$bitsAnyClear',
  '$geoWithin',
  '$geoIntersects',
  '$near',
  '$nearSphere',
  '$within',
  '$box',
  '$center',
  '$centerSphere',
  '$polygon',
  '$geometry',
  '$maxDistance',
  '$minDistance',
  '$comment',
  '$expr',
  '$jsonSchema',
]);

const KNOWN_TOP_LEVEL_OPERATORS = new Set([
  '$nor',
  '$where',
  '$expr',
  '$text',
  '$comment',
  '$jsonSchema',
  '$alwaysTrue',
  '$alwaysFalse',
  '$sampleRate',
]);

const ALWAYS: Predicate = () => true;

/** Compiles a filter document (`undefined`/`null` match everything). */
export function compileFilter(filter: unknown): Predicate {
  if (filter === undefined || filter === null) return ALWAYS;
  if (!isDocument(filter)) {
    throw commandError(ErrorCode.TypeMismatch, `filter must be an object, not ${typeof filter}`);
  }
  const predicates: Predicate[] = [];
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    predicates.push(key.startsWith('$') ? compileTopLevel(key, value) : compileField(key, value));
  }
  if (predicates.length === 0) return ALWAYS;
  if (predicates.length === 1) return predicates[0];
  return (doc) => predicates.every((p) => p(doc));
}

function compileTopLevel(operator: string, value: unknown): Predicate {
  if (operator === '$and' || operator === '$or') {
    if (!Array.isArray(value) || value.length === 0) {
      throw commandError(ErrorCode.BadValue, `${operator} must be a nonempty array`);
    }
    const parts = value.map((clause) => {
      if (!isDocument(clause)) {
        throw commandError(ErrorCode.BadValue, '$or/$and/$nor entries need to be full objects');
      }
      return compileFilter(clause);
    });
    return operator === '$and' ? (doc) => parts.every((p) => p(doc)) : (doc) => parts.some((p) => p(doc));
  }
  if (KNOWN_TOP_LEVEL_OPERATORS.has(operator)) throw notImplemented(`query operator ${operator}`);
  throw commandError(
    ErrorCode.BadValue,
    `unknown top level operator: ${operator}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`,
  );
}

function isOperatorObject(value: unknown): value is Document {
  if (!isDocument(value)) return false;
  const first = Object.keys(value)[0];
  return first !== undefined && first.startsWith('$');
}

function compileField(path: string, condition: unknown): Predicate {
  const parts = splitPath(path);
  let tests: LeafTest[];
  if (isOperatorObject(condition)) {
    tests = Object.keys(condition).map((op) => compileOperator(op, condition[op]));
  } else {
    rejectRegex(condition);
    tests = [(leaves) => equalityTest(leaves, condition)];
  }
  if (tests.length === 1) {
    const test = tests[0];
    return (doc) => test(leavesAt(doc, parts));
  }
  return (doc) => {
    const leaves = leavesAt(doc, parts);
    return tests.every((t) => t(leaves));
  };
}

function rejectRegex(value: unknown): void {
  if (value instanceof BSONRegExp || value instanceof RegExp) {
    throw notImplemented('query operator $regex (a regular expression as a query value)');
  }
}

function compileOperator(op: string, arg: unknown): LeafTest {
  switch (op) {
    case '$eq':
      return (leaves) => equalityTest(leaves, arg);
    case '$ne':
      rejectRegex(arg);
      return (leaves) => !equalityTest(leaves, arg);
    case '$gt':
      return comparisonTest(op, arg, (c) => c > 0);
    case '$gte':
      return comparisonTest(op, arg, (c) => c >= 0);
    case '$lt':
      return comparisonTest(op, arg, (c) => c < 0);
    case '$lte':
      return comparisonTest(op, arg, (c) => c <= 0);
    case '$in':
    case '$nin': {
      if (!Array.isArray(arg)) throw commandError(ErrorCode.BadValue, `${op} needs an array`);
      for (const value of arg) {
        rejectRegex(value);
        if (isOperatorObject(value)) throw commandError(ErrorCode.BadValue, `cannot nest $ under ${op}`);
      }
      const values: unknown[] = arg;
      const test: LeafTest = (leaves) => values.some((v) => equalityTest(leaves, v));
      return op === '$in' ? test : (leaves) => !test(leaves);
    }
    case '$exists': {
      const wanted = isTruthy(arg);
      return (leaves) => leaves.some((l) => !l.missing) === wanted;
    }
    default:
      if (KNOWN_FIELD_OPERATORS.has(op)) throw notImplemented(`query operator ${op}`);
      throw commandError(ErrorCode.BadValue, `unknown operator: ${op}`);
  }
}

function isNullish(value: unknown): boolean {
  return value === null || value === undefined;
}

/** `{field: value}`: some reached value (or an element of a reached array) equals `value`. */
function equalityTest(leaves: readonly Leaf[], wanted: unknown): boolean {
  if (isNullish(wanted)) {
    return leaves.some(
      (l) => l.missing || isNullish(l.value) || (Array.isArray(l.value) && l.value.some(isNullish)),
    );
  }
  for (const leaf of leaves) {
    if (leaf.missing) continue;
    if (valuesEqual(leaf.value, wanted)) return true;
    if (Array.isArray(leaf.value) && leaf.value.some((e) => valuesEqual(e, wanted))) return true;
  }
  return false;
}

/**
 * `$gt` and friends only compare values of the same type bracket as the operand (numbers with
 * numbers, strings with strings, …), as MongoDB does.
 */
function comparisonTest(op: string, operand: unknown, accept: (cmp: number) => boolean): LeafTest {
  rejectRegex(operand);
  if (isNullish(operand)) {
    if (op === '$gte' || op === '$lte') return (leaves) => equalityTest(leaves, null);
    return () => false;
  }
  const rank = typeRank(operand);
  const anyType = rank === -1 || rank === 127; // MinKey, MaxKey compare with everything
  const consider = (value: unknown): boolean =>
    (anyType || typeRank(value) === rank) && accept(compareValues(value, operand));
  return (leaves) =>
    leaves.some(
      (l) => !l.missing && (consider(l.value) || (Array.isArray(l.value) && l.value.some(consider))),
    );
}

/**
 * The `_id` values a filter pins down by top-level equality (`{_id: v}`, `{_id: {$eq: v}}`,
 * `{_id: {$in: [...]}}`), so the store can look them up instead of scanning. Undefined otherwise.
 */
export function idCandidates(filter: unknown): unknown[] | undefined {
  if (!isDocument(filter) || !hasField(filter, '_id')) return undefined;
  const cond = filter._id;
  if (!isOperatorObject(cond)) {
    return isDocument(cond) || Array.isArray(cond) || isNullish(cond) ? undefined : [cond];
  }
  const keys = Object.keys(cond);
  if (keys.length !== 1) return undefined;
  const arg = cond[keys[0]];
  const plain = (v: unknown): boolean => !isDocument(v) && !Array.isArray(v) && !isNullish(v);
  if (keys[0] === '$eq' && plain(arg)) return [arg];
  if (keys[0] === '$in' && Array.isArray(arg) && arg.every(plain)) return arg;
  return undefined;
}

/**
 * The equality conditions of a filter (`{a: 1}`, `{a: {$eq: 1}}`, inside `$and`), which seed the
 * document an upsert inserts.
 */
export function equalityConditions(filter: unknown): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (!isDocument(filter)) return out;
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value) out.push(...equalityConditions(clause));
    } else if (key === '$or' && Array.isArray(value) && value.length === 1) {
      out.push(...equalityConditions(value[0]));
    } else if (!key.startsWith('$')) {
      if (isOperatorObject(value)) {
        if (hasField(value, '$eq')) out.push([key, value.$eq]);
      } else {
        out.push([key, value]);
      }
    }
  }
  return out;
}
