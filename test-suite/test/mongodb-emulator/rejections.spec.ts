// Everything the emulator does not implement is refused with an error that names it, so a
// connector cannot drift onto features nobody tested against a real server.
import { MongoClient } from 'mongodb';
import { NOT_IMPLEMENTED } from '../../dist/emulators/mongodb';
import { failureOf, ops, T, useEmulator } from './helpers';

describe('mongodb emulator: rejects what it does not implement, by name', () => {
  const h = useEmulator();

  function expectNamedRejection(err: { code?: unknown; message?: unknown }, thing: string, code = 2): void {
    expect(err.code).toBe(code);
    expect(String(err.message)).toContain(NOT_IMPLEMENTED);
    expect(String(err.message)).toContain(thing);
  }

  it('an unknown command: CommandNotFound naming it', async () => {
    const err = await failureOf(() => h.db().command({ fooBar: 1 }));
    expectNamedRejection(err, "command 'fooBar'", 59);
    expect(err.codeName).toBe('CommandNotFound');
  });

  it('aggregate, count, distinct and friends are commands it does not have', async () => {
    const coll = h.coll('c');
    await coll.insertOne({ a: 1 });
    expectNamedRejection(await failureOf(() => coll.countDocuments({})), "command 'aggregate'", 59);
    expectNamedRejection(
      await failureOf(() => coll.aggregate([{ $match: {} }]).toArray()),
      "command 'aggregate'",
      59,
    );
    expectNamedRejection(await failureOf(() => coll.estimatedDocumentCount()), "command 'count'", 59);
    expectNamedRejection(await failureOf(() => coll.distinct('a')), "command 'distinct'", 59);
    expectNamedRejection(
      await failureOf(() => h.db().command({ getParameter: 1, featureCompatibilityVersion: 1 })),
      "command 'getParameter'",
      59,
    );
  });

  it('query operators outside the implemented set: $where, $regex, regular expressions, $elemMatch, $nor, $expr', async () => {
    const coll = h.coll('c');
    await coll.insertOne({ a: 'abc', list: [{ x: 1 }] });
    expectNamedRejection(
      await failureOf(() => coll.find({ $where: 'true' }).toArray()),
      'query operator $where',
    );
    expectNamedRejection(
      await failureOf(() => coll.find({ a: { $regex: '^a' } }).toArray()),
      'query operator $regex',
    );
    expectNamedRejection(await failureOf(() => coll.find({ a: /^a/ }).toArray()), '$regex');
    expectNamedRejection(await failureOf(() => coll.find({ a: { $in: [/^a/] } }).toArray()), '$regex');
    expectNamedRejection(
      await failureOf(() => coll.find({ list: { $elemMatch: { x: 1 } } }).toArray()),
      'query operator $elemMatch',
    );
    expectNamedRejection(
      await failureOf(() => coll.find({ $nor: [{ a: 1 }] }).toArray()),
      'query operator $nor',
    );
    expectNamedRejection(
      await failureOf(() => coll.find({ $expr: { $eq: ['$a', 'x'] } }).toArray()),
      '$expr',
    );
    expectNamedRejection(
      await failureOf(() => coll.deleteMany({ a: { $type: 'string' } })),
      'query operator $type',
    );
  });

  it('an operator MongoDB does not know is BadValue "unknown operator", as in mongod', async () => {
    const err = await failureOf(() =>
      h
        .coll('c')
        .find({ a: { $bogus: 1 } })
        .toArray(),
    );
    expect(err.code).toBe(2);
    expect(err.message).toBe('unknown operator: $bogus');
  });

  it('update operators other than $set/$unset/$setOnInsert/$inc, pipelines, positional paths', async () => {
    const coll = h.coll('c');
    await coll.insertOne({ _id: 1, list: [1] });
    expectNamedRejection(
      await failureOf(() => coll.updateOne({ _id: 1 }, ops({ $push: { list: 2 } }))),
      'update operator $push',
    );
    expectNamedRejection(
      await failureOf(() => coll.updateOne({ _id: 1 }, ops({ $currentDate: { d: true } }))),
      'update operator $currentDate',
    );
    expectNamedRejection(
      await failureOf(() => coll.updateOne({ _id: 1 }, [{ $set: { a: 1 } }])),
      'pipeline-style updates',
    );
    expectNamedRejection(
      await failureOf(() => coll.updateOne({ list: 1 }, { $set: { 'list.$': 5 } })),
      "positional update path 'list.$'",
    );
    expectNamedRejection(
      await failureOf(() =>
        coll.updateOne({ _id: 1 }, { $set: { 'list.$[e]': 5 } }, { arrayFilters: [{ e: 1 }] }),
      ),
      "option 'arrayFilters'",
    );
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, list: [1] });
  });

  it('rejects a whole batch when one statement uses something unsupported (nothing is applied)', async () => {
    const coll = h.coll('c');
    const err = await failureOf(() =>
      coll.bulkWrite([
        { insertOne: { document: { _id: 'before' } } },
        { updateOne: { filter: { _id: 'x' }, update: { $set: { a: 1 } }, upsert: true } },
        { updateOne: { filter: { _id: 'y' }, update: ops({ $addToSet: { a: 1 } }), upsert: true } },
      ]),
    );
    expect(String(err.message)).toContain('update operator $addToSet');
    expect(await coll.findOne({ _id: 'x' })).toBeNull();
    // The insert was a separate command sent before the failing update batch.
    expect(await coll.findOne({ _id: 'before' })).toEqual({ _id: 'before' });
  });

  it('options it does not implement: collation, hint, let, projection operators, $natural sort', async () => {
    const coll = h.coll('c');
    await coll.insertOne({ _id: 1, a: [1, 2, 3] });
    expectNamedRejection(
      await failureOf(() => coll.find({}, { collation: { locale: 'fr' } }).toArray()),
      "find option 'collation'",
    );
    expectNamedRejection(await failureOf(() => coll.find({}).hint({ a: 1 }).toArray()), "find option 'hint'");
    expectNamedRejection(
      await failureOf(() => coll.updateOne({ _id: 1 }, { $set: { b: 1 } }, { hint: { _id: 1 } })),
      "option 'hint'",
    );
    expectNamedRejection(
      await failureOf(() => coll.deleteOne({ _id: 1 }, { let: { x: 1 } })),
      "delete option 'let'",
    );
    expectNamedRejection(
      await failureOf(() => coll.findOne({}, { projection: { a: { $slice: 1 } } })),
      'projection operator $slice',
    );
    expectNamedRejection(
      await failureOf(() => coll.find({}).sort({ $natural: -1 }).toArray()),
      '$natural sort',
    );
    expectNamedRejection(
      await failureOf(() => coll.find({}, { tailable: true }).toArray()),
      "find option 'tailable: true'",
    );
  });

  it('index kinds and options it does not implement', async () => {
    const coll = h.coll('c');
    expectNamedRejection(await failureOf(() => coll.createIndex({ a: 'text' })), "'text' indexes");
    expectNamedRejection(
      await failureOf(() => coll.createIndex({ a: 1 }, { sparse: true })),
      "option 'sparse'",
    );
    expectNamedRejection(
      await failureOf(() =>
        coll.createIndex({ a: 1 }, { partialFilterExpression: { a: { $exists: true } } }),
      ),
      "option 'partialFilterExpression'",
    );
  });

  it('collection options (capped, validators, time series) on create', async () => {
    const err = await failureOf(() => h.db().createCollection('capped', { capped: true, size: 4096 }));
    expectNamedRejection(err, "create option 'capped'");
  });

  it('transactions and tagged or unknown read/write concerns', async () => {
    const db = h.db();
    expectNamedRejection(
      await failureOf(() => db.command({ insert: 'c', documents: [{}], txnNumber: 1 })),
      "field 'txnNumber'",
    );
    expectNamedRejection(
      await failureOf(() => db.command({ find: 'c', readConcern: { level: 'snapshot' } })),
      "readConcern level 'snapshot'",
    );
    expectNamedRejection(
      await failureOf(() => db.command({ insert: 'c', documents: [{}], writeConcern: { w: 'dc1' } })),
      'tagged write concerns',
    );
  });

  it(
    'authentication: connecting with credentials fails and says why',
    async () => {
      const url = `mongodb://user:secret@127.0.0.1:${h.emulator.port}/?directConnection=true`;
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000 });
      try {
        const err = await failureOf(() => client.connect());
        expect(String(err.message)).toContain(NOT_IMPLEMENTED);
        expect(String(err.message)).toContain('authentication');
      } finally {
        await client.close();
      }
    },
    T,
  );

  it('unknown fields of a command are refused as mongod refuses them', async () => {
    const err = await failureOf(() => h.db().command({ find: 'c', fliter: {} }));
    expect(err.code).toBe(40415);
    expect(err.message).toBe("BSON field 'find.fliter' is an unknown field.");
  });
});
