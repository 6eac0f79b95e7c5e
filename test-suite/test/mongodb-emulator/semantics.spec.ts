// The emulator's value model and matcher, checked directly against MongoDB's documented rules.
import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'bson';
import { compileFilter } from '../../dist/emulators/mongodb/query';
import { compileSort } from '../../dist/emulators/mongodb/sort';
import { compileProjection } from '../../dist/emulators/mongodb/projection';
import { applyUpdate, compileUpdate, upsertDocument } from '../../dist/emulators/mongodb/update';
import { canonicalKey, compareValues } from '../../dist/emulators/mongodb/values';

describe('mongodb emulator: BSON comparison order', () => {
  it('orders types as MongoDB does: MinKey < null < numbers < strings < objects < arrays < binData < ObjectId < bool < date < timestamp < regex < MaxKey', () => {
    const ordered = [
      new MinKey(),
      null,
      new Int32(5),
      'a',
      { a: 1 },
      [1],
      new Binary(Buffer.from([0])),
      new ObjectId('000000000000000000000000'),
      false,
      new Date(0),
      new Timestamp({ t: 1, i: 1 }),
      new BSONRegExp('a', ''),
      new MaxKey(),
    ];
    for (let i = 0; i + 1 < ordered.length; i++) {
      expect(compareValues(ordered[i], ordered[i + 1])).toBe(-1);
      expect(compareValues(ordered[i + 1], ordered[i])).toBe(1);
    }
  });

  it('compares numbers by value across int32, int64, double and decimal', () => {
    expect(compareValues(new Int32(1), new Double(1))).toBe(0);
    expect(compareValues(Long.fromNumber(1), new Double(1.5))).toBe(-1);
    expect(compareValues(Long.fromString('9007199254740993'), Long.fromString('9007199254740992'))).toBe(1);
    expect(compareValues(Decimal128.fromString('2'), new Int32(2))).toBe(0);
    expect(compareValues(new Double(NaN), new Double(-Infinity))).toBe(-1);
    expect(canonicalKey(new Int32(7))).toBe(canonicalKey(Long.fromNumber(7)));
    expect(canonicalKey(new Double(7))).toBe(canonicalKey(new Int32(7)));
    expect(canonicalKey('7')).not.toBe(canonicalKey(new Int32(7)));
  });

  it('compares strings by UTF-8 bytes and documents field by field', () => {
    expect(compareValues('Z', 'a')).toBe(-1);
    expect(compareValues('\uffff', '\u{1f600}')).toBe(-1);
    expect(compareValues({ a: 1, b: 2 }, { a: 1, b: 3 })).toBe(-1);
    expect(compareValues({ a: 1 }, { a: 1, b: 0 })).toBe(-1);
    expect(compareValues({ b: 1 }, { a: 1 })).toBe(1);
    expect(canonicalKey({ a: 1, b: 2 })).not.toBe(canonicalKey({ b: 2, a: 1 }));
  });

  it('compares binary data by length, then subtype, then bytes', () => {
    expect(compareValues(new Binary(Buffer.from([9])), new Binary(Buffer.from([0, 0])))).toBe(-1);
    expect(compareValues(new Binary(Buffer.from([1]), 0), new Binary(Buffer.from([0]), 5))).toBe(-1);
  });
});

describe('mongodb emulator: filters', () => {
  const match = (filter: object, doc: object) => compileFilter(filter)(doc);

  it('matches null against missing and null fields', () => {
    expect(match({ a: null }, {})).toBe(true);
    expect(match({ a: null }, { a: null })).toBe(true);
    expect(match({ a: null }, { a: 0 })).toBe(false);
    expect(match({ a: { $ne: null } }, {})).toBe(false);
    expect(match({ a: { $exists: true } }, { a: null })).toBe(true);
  });

  it('looks into arrays of documents along dotted paths', () => {
    const doc = { items: [{ n: 1 }, { n: 5 }, { m: 2 }] };
    expect(match({ 'items.n': 5 }, doc)).toBe(true);
    expect(match({ 'items.n': { $gt: 4 } }, doc)).toBe(true);
    expect(match({ 'items.n': { $gt: 5 } }, doc)).toBe(false);
    expect(match({ 'items.n': null }, doc)).toBe(true);
    expect(match({ 'items.0.n': 1 }, doc)).toBe(true);
    expect(match({ 'items.n': { $exists: false } }, doc)).toBe(false);
  });

  it('range operators on arrays: some element satisfies each bound (not necessarily the same one)', () => {
    expect(match({ a: { $gt: 5, $lt: 3 } }, { a: [1, 10] })).toBe(true);
    expect(match({ a: { $gt: 5, $lt: 3 } }, { a: 4 })).toBe(false);
  });

  it('an array value matches a whole array field, or an element that is that array', () => {
    expect(match({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(match({ a: [1, 2] }, { a: [[1, 2], 3] })).toBe(true);
    expect(match({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });

  it('embedded documents match exactly, field order included', () => {
    expect(match({ a: { x: 1, y: 2 } }, { a: { x: 1, y: 2 } })).toBe(true);
    expect(match({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } })).toBe(false);
  });

  it('validates operator arguments like mongod', () => {
    expect(() => compileFilter({ a: { $in: 5 } })).toThrowError('$in needs an array');
    expect(() => compileFilter({ $or: [] })).toThrowError('$or must be a nonempty array');
    expect(() => compileFilter({ $and: [1] })).toThrowError('$or/$and/$nor entries need to be full objects');
  });
});

describe('mongodb emulator: sort, projection, update', () => {
  it('sorts arrays by their smallest element ascending and largest descending', () => {
    const docs = [
      { _id: 1, a: [3, 9] },
      { _id: 2, a: 5 },
      { _id: 3, a: [1, 4] },
    ];
    const asc = compileSort({ a: 1 });
    const desc = compileSort({ a: -1 });
    expect([...docs].sort(asc).map((d) => d._id)).toEqual([3, 1, 2]);
    expect([...docs].sort(desc).map((d) => d._id)).toEqual([1, 2, 3]);
    expect(() => compileSort({ a: 2 })).toThrowError(/must be 1 \(for ascending\) or -1/);
  });

  it('projects paths through arrays and reports path collisions', () => {
    const project = compileProjection({ 'a.b': 1, c: 1 });
    expect(project?.({ _id: 1, a: [{ b: 1, x: 2 }, 5, { x: 3 }], c: 1, d: 4 })).toEqual({
      _id: 1,
      a: [{ b: 1 }, {}],
      c: 1,
    });
    expect(() => compileProjection({ a: 1, 'a.b': 1 })).toThrowError('Path collision at a.b');
  });

  it('$set into an array index pads with nulls; $unset of an element leaves null', () => {
    const set = compileUpdate({ $set: { 'a.3': 'x' } });
    expect(applyUpdate(set, { _id: 1, a: [0] }, false)).toEqual({ _id: 1, a: [0, null, null, 'x'] });
    const unset = compileUpdate({ $unset: { 'a.0': '' } });
    expect(applyUpdate(unset, { _id: 1, a: [0, 1] }, false)).toEqual({ _id: 1, a: [null, 1] });
  });

  it('$-prefixed top-level fields may be set on an upsert insert but not on an existing document', () => {
    const update = compileUpdate({ $set: { phone: 1, $hotel: 2 } });
    expect(upsertDocument({ _id: 'd', date: '2021-07-07' }, update)).toEqual({
      _id: 'd',
      date: '2021-07-07',
      $hotel: 2,
      phone: 1,
    });
    expect(() => applyUpdate(update, { _id: 'd' }, false)).toThrowError(/\$hotel/);
    const nested = compileUpdate({ $set: { 'address.$street': 'Elm' } });
    expect(applyUpdate(nested, { _id: 1, address: {} }, false)).toEqual({
      _id: 1,
      address: { $street: 'Elm' },
    });
  });

  it('upserts seed the new document from equality conditions (only _id for a replacement)', () => {
    const ops = compileUpdate({ $inc: { n: 1 } });
    expect(upsertDocument({ $and: [{ a: 1 }, { 'b.c': { $eq: 2 } }], d: { $gt: 1 } }, ops)).toEqual(
      jasmine.objectContaining({ a: 1, b: { c: 2 }, n: 1 }),
    );
    const replacement = compileUpdate({ x: 1 });
    expect(upsertDocument({ _id: 7, a: 1 }, replacement)).toEqual({ _id: 7, x: 1 });
  });
});
