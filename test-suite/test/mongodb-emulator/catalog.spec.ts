// Indexes, collections, databases and the handshake, through the real driver.
import { MongoClient, type Document } from 'mongodb';
import { EMULATOR_VERSION, startMongoEmulator } from '../../dist/emulators/mongodb';
import { failureOf, T, useEmulator, type Doc } from './helpers';

describe('mongodb emulator: indexes', () => {
  const h = useEmulator();

  it('a unique index refuses duplicates on insert and update with E11000 naming the index', async () => {
    const coll = h.coll('u');
    expect(await coll.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
    await coll.insertMany([
      { _id: 1, email: 'a@x' },
      { _id: 2, email: 'b@x' },
    ]);
    const insert = await failureOf(() => coll.insertOne({ _id: 3, email: 'a@x' }));
    expect(insert.code).toBe(11000);
    expect(insert.message).toContain('index: email_1 dup key: { email: "a@x" }');
    expect(insert.keyPattern).toEqual({ email: 1 });
    expect(insert.keyValue).toEqual({ email: 'a@x' });
    const update = await failureOf(() => coll.updateOne({ _id: 2 }, { $set: { email: 'a@x' } }));
    expect(update.code).toBe(11000);
    // Changing one's own key, and freeing a key for another document, are fine.
    await coll.updateOne({ _id: 1 }, { $set: { email: 'c@x' } });
    await coll.insertOne({ _id: 4, email: 'a@x' });
    // Documents without the field index as null: only one may lack it.
    await coll.insertOne({ _id: 5 });
    expect((await failureOf(() => coll.insertOne({ _id: 6 }))).code).toBe(11000);
  });

  it('a unique index over array fields indexes each element', async () => {
    const coll = h.coll('u2');
    await coll.createIndex({ tags: 1 }, { unique: true });
    await coll.insertOne({ _id: 1, tags: ['a', 'b', 'a'] });
    expect((await failureOf(() => coll.insertOne({ _id: 2, tags: ['c', 'b'] }))).code).toBe(11000);
  });

  it('a compound unique index compares the whole key', async () => {
    const coll = h.coll('u3');
    await coll.createIndex({ a: 1, b: -1 }, { unique: true });
    await coll.insertMany([
      { a: 1, b: 1 },
      { a: 1, b: 2 },
      { a: 2, b: 1 },
    ]);
    expect((await failureOf(() => coll.insertOne({ a: 1, b: 2 }))).code).toBe(11000);
  });

  it('building a unique index over existing duplicates fails and leaves no index', async () => {
    const coll = h.coll('u4');
    await coll.insertMany([{ k: 1 }, { k: 1 }]);
    expect((await failureOf(() => coll.createIndex({ k: 1 }, { unique: true }))).code).toBe(11000);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });

  it('listIndexes always has _id_, and shows unique and expireAfterSeconds', async () => {
    const coll = h.coll('l');
    await coll.insertOne({});
    expect(await coll.listIndexes().toArray()).toEqual([{ v: 2, key: { _id: 1 }, name: '_id_' }]);
    await coll.createIndex({ e: 1 }, { expireAfterSeconds: 0 });
    await coll.createIndex({ a: 1, b: 1 }, { unique: true, name: 'ab' });
    expect(await coll.listIndexes().toArray()).toEqual([
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { e: 1 }, name: 'e_1', expireAfterSeconds: 0 },
      { v: 2, key: { a: 1, b: 1 }, name: 'ab', unique: true },
    ]);
    const missing = await failureOf(() => h.coll('nope').listIndexes().toArray());
    expect(missing.code).toBe(26);
  });

  it('creating an existing index again is a no-op; other options under the same key conflict', async () => {
    const coll = h.coll('l2');
    await coll.createIndex({ e: 1 }, { expireAfterSeconds: 0 });
    expect(await coll.createIndex({ e: 1 }, { expireAfterSeconds: 0 })).toBe('e_1');
    const conflict = await failureOf(() => coll.createIndex({ e: 1 }, { expireAfterSeconds: 60 }));
    expect(conflict.code).toBe(85);
    expect(conflict.codeName).toBe('IndexOptionsConflict');
    const otherName = await failureOf(() =>
      coll.createIndex({ e: 1 }, { expireAfterSeconds: 0, name: 'other' }),
    );
    expect(otherName.code).toBe(85);
    const sameName = await failureOf(() => coll.createIndex({ f: 1 }, { name: 'e_1' }));
    expect(sameName.code).toBe(86);
    const compoundTtl = await failureOf(() => coll.createIndex({ a: 1, b: 1 }, { expireAfterSeconds: 5 }));
    expect(compoundTtl.code).toBe(67);
  });

  it('dropIndex by name or key, dropIndexes, and the errors for _id_ and unknown indexes', async () => {
    const coll = h.coll('d');
    await coll.createIndexes([{ key: { a: 1 } }, { key: { b: 1 } }, { key: { c: 1 } }]);
    await coll.dropIndex('a_1');
    await coll.dropIndex({ b: 1 } as unknown as string);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'c_1']);
    expect((await failureOf(() => coll.dropIndex('_id_'))).code).toBe(72);
    expect((await failureOf(() => coll.dropIndex('zzz'))).code).toBe(27);
    await coll.dropIndexes();
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });
});

describe('mongodb emulator: TTL monitor', () => {
  const h = useEmulator({ ttlMonitorIntervalMs: 50 });

  it(
    'deletes documents whose TTL date has passed',
    async () => {
      const coll = h.coll('ttl');
      await coll.createIndex({ e: 1 }, { expireAfterSeconds: 0 });
      const now = Date.now();
      await coll.insertMany([
        { _id: 'past', e: new Date(now - 1000) },
        { _id: 'future', e: new Date(now + 60_000) },
        { _id: 'none' },
        { _id: 'not-a-date', e: 'yesterday' },
      ]);
      const deadline = Date.now() + 5000;
      while ((await coll.findOne({ _id: 'past' })) !== null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect((await coll.find({}).toArray()).map((d) => d._id)).toEqual(['future', 'none', 'not-a-date']);
    },
    T,
  );
});

describe('mongodb emulator: collections and databases', () => {
  const h = useEmulator();

  it('collections appear on first insert; listCollections filters by name', async () => {
    const db = h.db();
    await db.collection('one').insertOne({});
    await db.createCollection('two');
    const all = await db.listCollections().toArray();
    expect(all.map((c) => c.name).sort()).toEqual(['one', 'two']);
    expect(all[0].type).toBe('collection');
    expect((all[0] as Document).idIndex).toEqual({ v: 2, key: { _id: 1 }, name: '_id_' });
    expect(
      (await db.listCollections({ name: 'two' }, { nameOnly: true }).toArray()).map((c) => c.name),
    ).toEqual(['two']);
    expect(await db.listCollections({ name: 'three' }).toArray()).toEqual([]);
  });

  it('create on an existing collection is NamespaceExists; drop of a missing one is NamespaceNotFound', async () => {
    const db = h.db();
    await db.createCollection('c');
    expect((await failureOf(() => db.createCollection('c'))).code).toBe(48);
    expect(await db.collection('c').drop()).toBe(true);
    const missing = await failureOf(() => db.collection('c').drop());
    expect(missing.code).toBe(26);
    expect(missing.codeName).toBe('NamespaceNotFound');
  });

  it('drop removes documents and indexes; dropDatabase removes every collection', async () => {
    const db = h.db();
    const coll = db.collection<Doc>('c');
    await coll.createIndex({ a: 1 }, { unique: true });
    await coll.insertOne({ a: 1 });
    await coll.drop();
    await coll.insertOne({ a: 1 });
    await coll.insertOne({ a: 1 });
    expect((await coll.listIndexes().toArray()).length).toBe(1);
    await db.collection('other').insertOne({});
    await db.dropDatabase();
    expect(await db.listCollections().toArray()).toEqual([]);
  });

  it('listDatabases lists databases that have collections (admin only)', async () => {
    const db = h.db();
    await db.collection('c').insertOne({ x: 'y' });
    const { databases } = await h.client.db('admin').admin().listDatabases();
    const mine = databases.find((d) => d.name === db.databaseName);
    expect(mine).toBeDefined();
    expect(mine?.empty).toBe(false);
    expect(mine?.sizeOnDisk).toBeGreaterThan(0);
    expect((await failureOf(() => db.command({ listDatabases: 1 }))).code).toBe(13);
  });

  it('rejects invalid collection names', async () => {
    expect((await failureOf(() => h.db().command({ insert: 'a$b', documents: [{}] }))).code).toBe(73);
    expect((await failureOf(() => h.db().command({ insert: '', documents: [{}] }))).code).toBe(73);
  });
});

describe('mongodb emulator: handshake and identity', () => {
  const h = useEmulator();

  it('answers hello as a writable standalone', async () => {
    const hello = await h.client.db('admin').command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.maxWireVersion).toBe(21);
    expect(hello.minWireVersion).toBe(0);
    expect(hello.maxBsonObjectSize).toBe(16777216);
    expect(hello.maxMessageSizeBytes).toBe(48000000);
    expect(hello.maxWriteBatchSize).toBe(100000);
    expect(hello.logicalSessionTimeoutMinutes).toBe(30);
    expect(typeof hello.connectionId).toBe('number');
    expect(hello.localTime instanceof Date).toBe(true);
    expect(hello.setName).toBeUndefined();
    const legacy = await h.client.db('admin').command({ isMaster: 1 });
    expect(legacy.ismaster).toBe(true);
  });

  it('says it is an emulator in buildInfo', async () => {
    const info = await h.client.db('admin').command({ buildInfo: 1 });
    expect(info.version).toBe(EMULATOR_VERSION);
    expect(info.version).toBe('7.0.0-emulator');
    expect(info.emulator).toBe(true);
    expect(await h.client.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
  });

  it('prints the emulator banner on stderr when not quiet', async () => {
    const writes: string[] = [];
    const spy = spyOn(process.stderr, 'write').and.callFake((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const emulator = await startMongoEmulator();
    spy.and.callThrough();
    await emulator.close();
    expect(writes.join('')).toContain('MongoDB wire-protocol EMULATOR for tests — not a MongoDB server');
  });

  it(
    'close() drops open connections',
    async () => {
      const emulator = await startMongoEmulator({ quiet: true });
      const client = new MongoClient(emulator.url, { serverSelectionTimeoutMS: 500 });
      try {
        await client.connect();
        await client.db('x').command({ ping: 1 });
        await emulator.close();
        await emulator.close();
        const err = await failureOf(() => client.db('x').command({ ping: 1 }));
        expect(err).toBeDefined();
      } finally {
        await client.close();
      }
    },
    T,
  );
});
