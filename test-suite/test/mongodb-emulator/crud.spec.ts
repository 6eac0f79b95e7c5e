// CRUD through the real `mongodb` driver, with the results MongoDB's documentation describes.
import { Binary, Double, Int32, Long, ObjectId } from 'bson';
import { MongoBulkWriteError, MongoServerError, type Collection, type Document } from 'mongodb';
import { failureOf, ops, T, useEmulator, type Doc } from './helpers';

describe('mongodb emulator: CRUD through the driver', () => {
  const h = useEmulator();

  describe('insert', () => {
    it('stores documents and returns them with their BSON types', async () => {
      const coll = h.coll('c');
      const doc = {
        _id: 'k1',
        int: new Int32(7),
        double: new Double(1.5),
        long: Long.fromString('9007199254740993'),
        date: new Date(1_700_000_000_000),
        bin: new Binary(Buffer.from([1, 2, 3])),
        oid: new ObjectId(),
        nested: { a: [1, { b: 'x' }], 'dotted.name': 1, $dollar: 2 },
        nil: null,
      };
      await coll.insertOne(doc);
      const found = await coll.findOne({ _id: 'k1' }, { promoteValues: false, promoteLongs: false });
      expect(found).not.toBeNull();
      expect(found?.int).toEqual(new Int32(7));
      expect(found?.double).toEqual(new Double(1.5));
      expect((found?.long as Long).toString()).toBe('9007199254740993');
      expect(found?.date).toEqual(new Date(1_700_000_000_000));
      expect(Buffer.from((found?.bin as Binary).buffer)).toEqual(Buffer.from([1, 2, 3]));
      expect((found?.oid as ObjectId).equals(doc.oid)).toBe(true);
      expect(Object.keys(found?.nested as Document)).toEqual(['a', 'dotted.name', '$dollar']);
      expect(found?.nil).toBeNull();
    });

    it('allows top-level $-prefixed field names on insert (MongoDB 5.0+)', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 1, $price: 50 });
      expect<unknown>(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, $price: 50 });
    });

    it('adds an ObjectId _id and moves _id first', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ a: 1, _id: 'late' }, { forceServerObjectId: false });
      const raw = await coll.findOne({ _id: 'late' });
      expect(Object.keys(raw as Document)).toEqual(['_id', 'a']);
      await coll.insertOne({ b: 1 }, { forceServerObjectId: true });
      const generated = await coll.findOne({ b: 1 });
      expect(generated?._id instanceof ObjectId).toBe(true);
      expect(Object.keys(generated as Document)[0]).toBe('_id');
    });

    it('rejects a duplicate _id with E11000 DuplicateKey', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 'dup', v: 1 });
      const err = await failureOf(() => coll.insertOne({ _id: 'dup', v: 2 }));
      expect(err instanceof MongoServerError).toBe(true);
      expect(err.code).toBe(11000);
      expect(err.message).toContain('E11000 duplicate key error collection:');
      expect(err.message).toContain('index: _id_ dup key: { _id: "dup" }');
      expect(err.keyValue).toEqual({ _id: 'dup' });
      expect<unknown>(await coll.findOne({ _id: 'dup' })).toEqual({ _id: 'dup', v: 1 });
    });

    it('treats numerically equal _ids of different numeric types as the same key', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: new Int32(1) });
      const err = await failureOf(() => coll.insertOne({ _id: new Double(1.0) }));
      expect(err.code).toBe(11000);
      await coll.insertOne({ _id: new Binary(Buffer.from('ab')) });
      await coll.insertOne({ _id: new Binary(Buffer.from('ab'), 0x80) });
      expect((await coll.find({}).toArray()).length).toBe(3);
    });

    it('insertMany ordered stops at the first error; unordered goes on', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 2 });
      const ordered = await failureOf(() => coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]));
      expect(ordered instanceof MongoBulkWriteError).toBe(true);
      expect(ordered.code).toBe(11000);
      expect(ordered.result.insertedCount).toBe(1);
      expect<unknown>(await coll.findOne({ _id: 3 })).toBeNull();

      const unordered = await failureOf(() =>
        coll.insertMany([{ _id: 2 }, { _id: 3 }, { _id: 4 }], { ordered: false }),
      );
      expect(unordered.result.insertedCount).toBe(2);
      expect((await coll.find({}).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 2, 3, 4]);
    });

    it('rejects an array _id', async () => {
      const err = await failureOf(() => h.coll('c').insertOne({ _id: [1, 2] }));
      expect(err.code).toBe(53);
    });
  });

  describe('update and replace', () => {
    it('replaceOne with upsert inserts, then replaces the whole document (fields not given are gone)', async () => {
      const coll = h.coll('c');
      const first = await coll.replaceOne({ _id: 'r' }, { a: 1, b: 2 }, { upsert: true });
      expect(first.upsertedCount).toBe(1);
      expect(first.upsertedId as unknown).toBe('r');
      expect<unknown>(await coll.findOne({ _id: 'r' })).toEqual({ _id: 'r', a: 1, b: 2 });
      const second = await coll.replaceOne({ _id: 'r' }, { c: 3 }, { upsert: true });
      expect(second.matchedCount).toBe(1);
      expect(second.modifiedCount).toBe(1);
      expect<unknown>(await coll.findOne({ _id: 'r' })).toEqual({ _id: 'r', c: 3 });
    });

    it('an upsert whose filter does not match a live _id fails with a duplicate key', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 'live', e: new Date(Date.now() + 60_000) });
      const err = await failureOf(() =>
        coll.replaceOne({ _id: 'live', e: { $lte: new Date() } }, { v: 1 }, { upsert: true }),
      );
      expect(err.code).toBe(11000);
    });

    it('replacement documents cannot change _id or start a top-level field with $', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 'x', a: 1 });
      expect((await failureOf(() => coll.replaceOne({ _id: 'x' }, { _id: 'y', a: 2 }))).code).toBe(66);
      expect((await failureOf(() => coll.replaceOne({ _id: 'x' }, { a: 2, $b: 1 }))).code).toBe(52);
    });

    it('updateOne $set creates nested paths, $unset removes, $inc adds, $setOnInsert only on insert', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 1, a: { x: 1 }, n: 5, gone: true });
      const res = await coll.updateOne(
        { _id: 1 },
        ops({
          $set: { 'a.y': 2, 'b.c.d': 'deep' },
          $unset: { gone: '' },
          $inc: { n: 2, m: 1 },
          $setOnInsert: { s: 1 },
        }),
      );
      expect(res.matchedCount).toBe(1);
      expect(res.modifiedCount).toBe(1);
      expect<unknown>(await coll.findOne({ _id: 1 })).toEqual({
        _id: 1,
        a: { x: 1, y: 2 },
        n: 7,
        b: { c: { d: 'deep' } },
        m: 1,
      });

      const upserted = await coll.updateOne(
        { _id: 2, k: 'v' },
        { $set: { a: 1 }, $setOnInsert: { s: 1 } },
        { upsert: true },
      );
      expect(upserted.upsertedId as unknown).toBe(2);
      expect<unknown>(await coll.findOne({ _id: 2 })).toEqual({ _id: 2, k: 'v', a: 1, s: 1 });
    });

    it('counts a no-op update as matched but not modified', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 1, a: 1 });
      const res = await coll.updateOne({ _id: 1 }, { $set: { a: 1 } });
      expect(res.matchedCount).toBe(1);
      expect(res.modifiedCount).toBe(0);
    });

    it('$inc keeps integer types and widens int32 overflow to a long', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 1, i: new Int32(2147483647), d: new Double(0.5) });
      await coll.updateOne({ _id: 1 }, ops({ $inc: { i: 1, d: 1 } }));
      const doc = await coll.findOne({ _id: 1 }, { promoteValues: false, promoteLongs: false });
      expect(doc?.i instanceof Long).toBe(true);
      expect((doc?.i as Long).toString()).toBe('2147483648');
      expect(doc?.d).toEqual(new Double(1.5));
    });

    it('updateMany updates every match; multi counts are reported', async () => {
      const coll = h.coll('c');
      await coll.insertMany([{ t: 'a' }, { t: 'a' }, { t: 'b' }]);
      const res = await coll.updateMany({ t: 'a' }, { $set: { seen: true } });
      expect(res.matchedCount).toBe(2);
      expect(res.modifiedCount).toBe(2);
      expect((await coll.find({ seen: true }).toArray()).length).toBe(2);
    });

    it('reports MongoDB errors for conflicting paths, $inc on a string, and paths through scalars', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 1, s: 'text', n: 1 });
      expect((await failureOf(() => coll.updateOne({ _id: 1 }, { $set: { a: 1, 'a.b': 2 } }))).code).toBe(40);
      expect((await failureOf(() => coll.updateOne({ _id: 1 }, ops({ $inc: { s: 1 } })))).code).toBe(14);
      expect((await failureOf(() => coll.updateOne({ _id: 1 }, { $set: { 'n.x': 1 } }))).code).toBe(28);
      expect((await failureOf(() => coll.updateOne({ _id: 1 }, { $set: { _id: 2 } }))).code).toBe(66);
      expect<unknown>(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, s: 'text', n: 1 });
    });

    it('applies operator fields in lexicographic order when creating fields', async () => {
      const coll = h.coll('c');
      await coll.insertOne({ _id: 1 });
      await coll.updateOne({ _id: 1 }, { $set: { c: 1, a: 1, b: 1 } });
      expect(Object.keys((await coll.findOne({ _id: 1 })) as Document)).toEqual(['_id', 'a', 'b', 'c']);
    });
  });

  describe('find', () => {
    const people = [
      { _id: 1, name: 'ann', age: 31, tags: ['a', 'b'], address: { city: 'Oslo' } },
      { _id: 2, name: 'bob', age: 25, tags: ['b'], address: { city: 'Rome' } },
      { _id: 3, name: 'cid', age: '40', tags: [], address: null },
      {
        _id: 4,
        name: 'dee',
        age: 25,
        items: [
          { sku: 'x', qty: 1 },
          { sku: 'y', qty: 5 },
        ],
      },
      { _id: 5, name: 'eve' },
    ];
    const ids = (docs: Doc[]) => docs.map((d) => d._id as number);

    let coll: Collection<Doc>;
    beforeAll(async () => {
      coll = h.coll('people');
      await coll.insertMany(people);
    }, T);

    it('matches equality, dotted paths and array elements', async () => {
      expect(ids(await coll.find({ name: 'bob' }).toArray())).toEqual([2]);
      expect(ids(await coll.find({ 'address.city': 'Oslo' }).toArray())).toEqual([1]);
      expect(ids(await coll.find({ tags: 'b' }).toArray())).toEqual([1, 2]);
      expect(ids(await coll.find({ tags: ['b'] }).toArray())).toEqual([2]);
      expect(ids(await coll.find({ 'items.sku': 'y' }).toArray())).toEqual([4]);
      expect(ids(await coll.find({ 'items.1.qty': 5 }).toArray())).toEqual([4]);
      expect(ids(await coll.find({ address: null }).toArray())).toEqual([3, 4, 5]);
    });

    it('compares only within a type bracket', async () => {
      expect(ids(await coll.find({ age: { $gt: 26 } }).toArray())).toEqual([1]);
      expect(ids(await coll.find({ age: { $gte: 25, $lt: 31 } }).toArray())).toEqual([2, 4]);
      expect(ids(await coll.find({ age: { $lte: '5' } }).toArray())).toEqual([3]);
      expect(ids(await coll.find({ 'items.qty': { $gt: 3 } }).toArray())).toEqual([4]);
    });

    it('supports $eq, $ne, $in, $nin, $exists, $and, $or', async () => {
      expect(ids(await coll.find({ age: { $eq: 25 } }).toArray())).toEqual([2, 4]);
      expect(ids(await coll.find({ age: { $ne: 25 } }).toArray())).toEqual([1, 3, 5]);
      expect(ids(await coll.find({ name: { $in: ['ann', 'eve', 'zed'] } }).toArray())).toEqual([1, 5]);
      expect(ids(await coll.find({ tags: { $nin: ['b'] } }).toArray())).toEqual([3, 4, 5]);
      expect(ids(await coll.find({ tags: { $exists: false } }).toArray())).toEqual([4, 5]);
      expect(ids(await coll.find({ $or: [{ age: 31 }, { name: 'eve' }] }).toArray())).toEqual([1, 5]);
      expect(ids(await coll.find({ $and: [{ age: 25 }, { items: { $exists: true } }] }).toArray())).toEqual([
        4,
      ]);
      expect(ids(await coll.find({ _id: { $in: [5, 1, 9] } }).toArray())).toEqual([1, 5]);
    });

    it('projects by inclusion and exclusion, nested and with _id: 0', async () => {
      expect<unknown>(await coll.findOne({ _id: 1 }, { projection: { name: 1 } })).toEqual({
        _id: 1,
        name: 'ann',
      });
      expect<unknown>(await coll.findOne({ _id: 1 }, { projection: { name: 1, _id: 0 } })).toEqual({
        name: 'ann',
      });
      expect<unknown>(await coll.findOne({ _id: 1 }, { projection: { 'address.city': 1 } })).toEqual({
        _id: 1,
        address: { city: 'Oslo' },
      });
      expect<unknown>(await coll.findOne({ _id: 4 }, { projection: { 'items.sku': 1, _id: 0 } })).toEqual({
        items: [{ sku: 'x' }, { sku: 'y' }],
      });
      expect<unknown>(
        await coll.findOne({ _id: 2 }, { projection: { tags: 0, address: 0, age: 0 } }),
      ).toEqual({
        _id: 2,
        name: 'bob',
      });
      const err = await failureOf(() => coll.findOne({ _id: 1 }, { projection: { name: 1, age: 0 } }));
      expect(err.code).toBe(31254);
    });

    it('sorts on several fields (missing sorts as null, ties keep insertion order), skips and limits', async () => {
      expect(ids(await coll.find({}).sort({ age: 1, name: -1 }).toArray())).toEqual([5, 4, 2, 1, 3]);
      expect(ids(await coll.find({}).sort({ age: -1 }).toArray())).toEqual([3, 1, 2, 4, 5]);
      expect(ids(await coll.find({}).sort({ _id: -1 }).skip(1).limit(2).toArray())).toEqual([4, 3]);
      expect(ids(await coll.find({}).limit(2).toArray())).toEqual([1, 2]);
    });
  });

  describe('cursors', () => {
    it('returns more than 101 documents through getMore', async () => {
      const coll = h.coll('many');
      await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, pad: 'x'.repeat(100) })));
      const all = await coll.find({}).toArray();
      expect(all.length).toBe(250);
      expect(all[249]._id).toBe(249);
      const batched = await coll
        .find({ _id: { $gte: 10 } })
        .batchSize(7)
        .toArray();
      expect(batched.length).toBe(240);
      const limited = await coll.find({}).batchSize(10).limit(25).toArray();
      expect(limited.map((d) => d._id)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    });

    it('closes a cursor early with killCursors and reports a dead cursor on getMore', async () => {
      const coll = h.coll('many2');
      await coll.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i })));
      const cursor = coll.find({}).batchSize(5);
      expect((await cursor.next())?._id).toBe(0);
      await cursor.close();
      const err = await failureOf(() =>
        h.db().command({ getMore: Long.fromNumber(123456789), collection: 'many2' }),
      );
      expect(err.code).toBe(43);
    });
  });

  describe('delete', () => {
    it('deleteOne removes the first match, deleteMany all matches', async () => {
      const coll = h.coll('d');
      await coll.insertMany([{ g: 1 }, { g: 1 }, { g: 1 }, { g: 2 }]);
      expect((await coll.deleteOne({ g: 1 })).deletedCount).toBe(1);
      expect((await coll.deleteMany({ g: 1 })).deletedCount).toBe(2);
      expect((await coll.deleteMany({ g: 9 })).deletedCount).toBe(0);
      expect((await coll.find({}).toArray()).map((d) => d.g)).toEqual([2]);
      expect((await h.coll('never-created').deleteMany({})).deletedCount).toBe(0);
    });
  });

  describe('bulkWrite', () => {
    it('runs mixed operations in order', async () => {
      const coll = h.coll('b');
      await coll.insertOne({ _id: 'keep', n: 1 });
      const res = await coll.bulkWrite([
        { insertOne: { document: { _id: 'i', n: 0 } } },
        { updateOne: { filter: { _id: 'keep' }, update: ops({ $inc: { n: 10 } }) } },
        { replaceOne: { filter: { _id: 'r' }, replacement: { n: 5 }, upsert: true } },
        { updateMany: { filter: { n: { $gte: 5 } }, update: { $set: { big: true } } } },
        { deleteOne: { filter: { _id: 'i' } } },
        { replaceOne: { filter: { _id: 'r' }, replacement: { n: 6 }, upsert: true } },
      ]);
      expect(res.insertedCount).toBe(1);
      expect(res.upsertedCount).toBe(1);
      expect(res.matchedCount).toBe(4);
      expect(res.modifiedCount).toBe(4);
      expect(res.deletedCount).toBe(1);
      expect<unknown>(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'keep', n: 11, big: true },
        { _id: 'r', n: 6 },
      ]);
    });

    it("an unordered bulk of replacement upserts reports a unique-index violation as that statement's write error and applies the rest", async () => {
      const coll = h.coll('b3');
      await coll.createIndex({ v: 1 }, { unique: true });
      await coll.insertOne({ _id: 'old', v: 9 });
      const upsert = (id: string, v: number) => ({
        replaceOne: { filter: { _id: id }, replacement: { _id: id, v }, upsert: true },
      });
      const err = await failureOf(() =>
        coll.bulkWrite([upsert('a', 1), upsert('b', 1), upsert('old', 2), upsert('c', 2), upsert('d', 3)], {
          ordered: false,
        }),
      );
      expect(err instanceof MongoBulkWriteError).toBe(true);
      const writeErrors = (err as MongoBulkWriteError).writeErrors as unknown as {
        index: number;
        code: number;
      }[];
      // b repeats the v a took, c the v old was just given: each refused alone, the rest applied.
      expect(writeErrors.map((e) => [e.index, e.code])).toEqual([
        [1, 11000],
        [3, 11000],
      ]);
      expect((err as MongoBulkWriteError).result.upsertedCount).toBe(2);
      expect((err as MongoBulkWriteError).result.matchedCount).toBe(1);
      expect<unknown>(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'a', v: 1 },
        { _id: 'd', v: 3 },
        { _id: 'old', v: 2 },
      ]);
    });

    it('find with $in on _id and a batchSize covering every id answers in one batch, without a cursor', async () => {
      const db = h.db();
      const coll = db.collection<Doc>('b4');
      await coll.insertMany(Array.from({ length: 150 }, (_, i) => ({ _id: `k${i}`, n: i })));
      // Ids in reverse, one missing, one repeated: each stored document once, in natural order.
      const ids = Array.from({ length: 150 }, (_, i) => `k${149 - i}`).concat(['missing', 'k0']);
      const reply = await db.command({ find: 'b4', filter: { _id: { $in: ids } }, batchSize: ids.length });
      const cursor = reply.cursor as { id: unknown; firstBatch: Doc[] };
      expect(cursor.id).toBe(0);
      expect(cursor.firstBatch.map((d) => d.n)).toEqual(Array.from({ length: 150 }, (_, i) => i));
      // Without it, the default first batch (101) leaves a cursor for getMore.
      const partial = await db.command({ find: 'b4', filter: { _id: { $in: ids } } });
      expect((partial.cursor as { firstBatch: Doc[] }).firstBatch.length).toBe(101);
      expect(typeof (partial.cursor as { id: unknown }).id).toBe('number');
      expect((partial.cursor as { id: number }).id).toBeGreaterThan(0);
    });

    it('an ordered bulk stops at the first write error', async () => {
      const coll = h.coll('b2');
      const err = await failureOf(() =>
        coll.bulkWrite([
          { insertOne: { document: { _id: 1 } } },
          { insertOne: { document: { _id: 1 } } },
          { insertOne: { document: { _id: 2 } } },
        ]),
      );
      expect(err.code).toBe(11000);
      expect((await coll.find({}).toArray()).length).toBe(1);
    });
  });

  describe('findAndModify', () => {
    it('findOneAndUpdate returns the document before or after, and upserts', async () => {
      const coll = h.coll('f');
      await coll.insertOne({ _id: 1, n: 1 });
      expect<unknown>(await coll.findOneAndUpdate({ _id: 1 }, ops({ $inc: { n: 1 } }))).toEqual({
        _id: 1,
        n: 1,
      });
      expect<unknown>(
        await coll.findOneAndUpdate({ _id: 1 }, ops({ $inc: { n: 1 } }), { returnDocument: 'after' }),
      ).toEqual({
        _id: 1,
        n: 3,
      });
      expect<unknown>(await coll.findOneAndUpdate({ _id: 9 }, { $set: { n: 0 } })).toBeNull();
      const upserted = await coll.findOneAndUpdate(
        { _id: 2 },
        { $set: { n: 0 } },
        { upsert: true, returnDocument: 'after', projection: { _id: 0 } },
      );
      expect<unknown>(upserted).toEqual({ n: 0 });
      const meta = await coll.findOneAndUpdate(
        { _id: 3 },
        { $set: { n: 0 } },
        { upsert: true, includeResultMetadata: true },
      );
      expect(meta.value).toBeNull();
      expect(meta.lastErrorObject?.upserted).toBe(3);
      expect(meta.lastErrorObject?.updatedExisting).toBe(false);
    });

    it('findOneAndReplace and findOneAndDelete honour sort', async () => {
      const coll = h.coll('f2');
      await coll.insertMany([
        { _id: 1, p: 2 },
        { _id: 2, p: 9 },
        { _id: 3, p: 5 },
      ]);
      expect<unknown>(
        await coll.findOneAndReplace({}, { p: 0 }, { sort: { p: -1 }, returnDocument: 'after' }),
      ).toEqual({
        _id: 2,
        p: 0,
      });
      expect<unknown>(await coll.findOneAndDelete({}, { sort: { p: -1 } })).toEqual({ _id: 3, p: 5 });
      expect((await coll.find({}).toArray()).map((d) => d._id)).toEqual([1, 2]);
    });
  });
});
