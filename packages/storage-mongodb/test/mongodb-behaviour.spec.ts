import { ConnectorError, createConnector, type JsonValue } from '@connector-kit/connector-core';
import { expectCode, randomKey, randomPrefix, useService } from '@connector-kit/test-suite';
import { DeepstreamPlugin, MongoStorage, type MongoStorageOptions } from '@connector-kit/storage-mongodb';
import { Binary, MongoClient, ObjectId, type Db, type Document } from 'mongodb';
import { databaseOf, readyStorage, useRawMongo } from './helpers';
// Registers the `mongodb` launcher (emulator, or MONGODB_URL).
import '@connector-kit/test-suite/dist/services/mongodb';

/** Documents as the connector stores them (`_id` a string, or a binary hash). */
interface RawDoc extends Document {
  _id: string | Binary;
}

describe('MongoStorage on a MongoDB server', () => {
  const mongo = useService('mongodb');
  let db: Db;
  const opened: MongoStorage[] = [];

  useRawMongo(
    () => mongo.url,
    (database) => {
      db = database;
    },
    () => Promise.allSettled(opened.map((s) => s.close())),
  );

  const open = async (options: Partial<MongoStorageOptions> = {}): Promise<MongoStorage> => {
    const storage = await readyStorage({
      url: mongo.url,
      database: databaseOf(mongo.url),
      prefix: randomPrefix(),
      ...options,
    });
    opened.push(storage);
    return storage;
  };
  const rawDoc = (collection: string, id: string): Promise<RawDoc | null> =>
    db.collection<RawDoc>(collection).findOne({ _id: id });

  describe('stored shape', () => {
    it('stores an ordinary value as { _id, v, d } that people can query', async () => {
      const storage = await open();
      await storage.set('user-1', { name: 'Ada', age: 36, tags: ['math'] }, { version: 4 });
      const doc = await rawDoc('records', `${storage.prefix}user-1`);
      expect<unknown>(doc).toEqual({
        _id: `${storage.prefix}user-1`,
        v: 4,
        d: { name: 'Ada', age: 36, tags: ['math'] },
      });
      const found = await db
        .collection<RawDoc>('records')
        .find({
          _id: { $in: [`${storage.prefix}user-1`, `${storage.prefix}other`] },
          'd.name': 'Ada',
          'd.age': { $gte: 30 },
        })
        .toArray();
      expect(found.length).toBe(1);
    });

    it('escapes awkward field names (flag x) and an overwrite replaces the whole document', async () => {
      const storage = await open();
      const id = `${storage.prefix}awkward`;
      await storage.set('awkward', { 'a.b': 1, $where: 2, plain: 3 }, { ttl: 60_000 });
      const first = await rawDoc('records', id);
      expect<unknown>(first?.d).toEqual({ 'a%2Eb': 1, '%24where': 2, plain: 3 });
      expect<unknown>(first?.x).toBe(true);
      expect<unknown>(first?.e instanceof Date).toBe(true);
      await storage.set('awkward', { plain: 4 });
      const second = await rawDoc('records', id);
      // No $set: the escape flag, the expiry and the old fields are gone.
      expect<unknown>(second).toEqual({ _id: id, v: 0, d: { plain: 4 } });
      expect<unknown>(await storage.get('awkward')).toEqual({ plain: 4 });
    });

    it('stores values MongoDB cannot nest as JSON text in j', async () => {
      const storage = await open();
      let deep: JsonValue = 'bottom';
      for (let i = 0; i < 150; i++) deep = [deep];
      await storage.set('deep', deep);
      const doc = await rawDoc('records', `${storage.prefix}deep`);
      expect<unknown>(typeof doc?.j).toBe('string');
      expect<unknown>(doc?.d).toBeUndefined();
      expect<unknown>(await storage.get('deep')).toEqual(deep);
    });

    it('reads documents written by hand: no version is 0, BSON-only types come back as JSON renders them', async () => {
      const storage = await open();
      const id = new ObjectId();
      await db.collection<RawDoc>('records').insertMany([
        { _id: `${storage.prefix}by-hand`, d: { when: new Date(0), ref: id, n: 5, list: [NaN, 'x'] } },
        { _id: `${storage.prefix}no-value`, v: 1, data: 'elsewhere' },
        { _id: `${storage.prefix}bad-version`, v: 'one', d: 1 },
      ]);
      expect<unknown>(await storage.getEntry('by-hand')).toEqual({
        value: { when: '1970-01-01T00:00:00.000Z', ref: id.toHexString(), n: 5, list: [null, 'x'] },
        version: 0,
      });
      await expectCode(storage.get('no-value'), 'CORRUPT');
      await expectCode(storage.get('bad-version'), 'CORRUPT');
    });
  });

  describe('key mapping with splitChar "/"', () => {
    it('puts "user/42" in collection user with _id prefix + "42"', async () => {
      const storage = await open({ splitChar: '/' });
      await storage.set('user/42', { n: 42 });
      expect<unknown>(await rawDoc('user', `${storage.prefix}42`)).toEqual({
        _id: `${storage.prefix}42`,
        v: 0,
        d: { n: 42 },
      });
      expect<unknown>(await rawDoc('records', `${storage.prefix}user/42`)).toBeNull();
      expect<unknown>(await storage.get('user/42')).toEqual({ n: 42 });
    });

    it('stores keys with an unusable collection part whole in the default collection', async () => {
      const storage = await open({ splitChar: '/' });
      for (const key of ['$bad/1', 'system.x/2', '/3', 'a..b/4']) {
        await storage.set(key, key);
        expect<unknown>(await rawDoc('records', `${storage.prefix}${key}`))
          .withContext(key)
          .not.toBeNull();
        expect<unknown>(await storage.get(key)).toBe(key);
      }
    });

    it('keeps "records/x" and "x" apart although both live in the default collection', async () => {
      const storage = await open({ splitChar: '/' });
      await storage.set('records/x', 'split');
      await storage.set('x', 'plain');
      expect<unknown>(await storage.get('records/x')).toBe('split');
      expect<unknown>(await storage.get('x')).toBe('plain');
      expect<unknown>(await rawDoc('records', `${storage.prefix}records/x`)).not.toBeNull();
    });

    it('hashes oversized ids into a binary _id with the id in k, and bulk calls span collections', async () => {
      const storage = await open({ splitChar: '/', maxIdBytes: 64 });
      const long = `user/${'é'.repeat(100)}`;
      const keys = ['user/1', 'item/2', 'plain', long, '$bad/3'];
      await storage.setBulk(keys.map((key, i) => ({ key, value: { i }, version: i })));
      const hashed = await db.collection('user').findOne({ k: `${storage.prefix}${'é'.repeat(100)}` });
      expect<unknown>(hashed?._id instanceof Binary).toBe(true);
      expect<unknown>(hashed?.d).toEqual({ i: 3 });
      expect<unknown>(await storage.get(long)).toEqual({ i: 3 });
      expect<unknown>(await storage.getBulk([...keys, 'user/missing', long])).toEqual([
        { i: 0 },
        { i: 1 },
        { i: 2 },
        { i: 3 },
        { i: 4 },
        null,
        { i: 3 },
      ]);
      expect<unknown>(await storage.headBulk(keys)).toEqual([0, 1, 2, 3, 4]);
      await storage.deleteBulk(keys);
      expect<unknown>(await storage.getBulk(keys)).toEqual([null, null, null, null, null]);
      expect(
        await db
          .collection('user')
          .find({ k: `${storage.prefix}${'é'.repeat(100)}` })
          .toArray(),
      ).toEqual([]);
    });

    it('a key asked for twice in one getBulk gets two separate objects', async () => {
      const storage = await open({ splitChar: '/' });
      await storage.set('user/twice', { list: [1] });
      const [a, b] = (await storage.getBulk(['user/twice', 'user/twice'])) as { list: number[] }[];
      expect(a).toEqual({ list: [1] });
      expect(b).toEqual({ list: [1] });
      expect(a).not.toBe(b);
    });
  });

  describe('TTL', () => {
    it('creates the TTL index { e: 1 } (expireAfterSeconds 0) at start-up, and in a split collection on its first TTL write', async () => {
      const defaultCollection = `ttl_${randomKey('c').replace(/-/g, '_')}`;
      const split = `ttl_${randomKey('s').replace(/-/g, '_')}`;
      const storage = await open({ defaultCollection, splitChar: '/' });
      const ttlIndex = async (name: string): Promise<unknown> =>
        (await db.collection(name).listIndexes().toArray()).find(
          (index) => JSON.stringify(index.key) === '{"e":1}',
        );
      expect<unknown>(await ttlIndex(defaultCollection)).toEqual(
        jasmine.objectContaining({ expireAfterSeconds: 0 }),
      );
      await storage.set(`${split}/k`, 1);
      expect(await ttlIndex(split)).toBeUndefined();
      await storage.set(`${split}/k`, 1, { ttl: 60_000 });
      expect<unknown>(await ttlIndex(split)).toEqual(jasmine.objectContaining({ expireAfterSeconds: 0 }));
      await Promise.all([db.collection(defaultCollection).drop(), db.collection(split).drop()]);
    });

    it('never returns a document past its expiry, even while it is still stored', async () => {
      // A collection without a TTL index: nothing deletes the document behind the test's back.
      const collection = `stale_${randomKey('c').replace(/-/g, '_')}`;
      const storage = await open({ splitChar: '/' });
      const key = `${collection}/k`;
      const id = `${storage.prefix}k`;
      await db
        .collection<RawDoc>(collection)
        .insertOne({ _id: id, v: 3, d: 'stale', e: new Date(Date.now() - 1000) });
      expect<unknown>(await storage.get(key)).toBeNull();
      expect<unknown>(await storage.getEntry(key)).toBeNull();
      expect<unknown>(await storage.head(key)).toBeNull();
      expect<unknown>(await storage.getBulk([key])).toEqual([null]);
      expect<unknown>(await storage.headBulk([key])).toEqual([null]);
      expect<unknown>(await rawDoc(collection, id)).not.toBeNull();
      // For compare-and-set an expired record is absent: expecting its old version conflicts,
      // expecting "no record" replaces it.
      await expectCode(storage.compareAndSet(key, 'new', { expectedVersion: 3, version: 4 }), 'CONFLICT');
      await storage.compareAndSet(key, 'fresh', { expectedVersion: null, version: 1 });
      expect<unknown>(await storage.getEntry(key)).toEqual({ value: 'fresh', version: 1 });
      expect<unknown>((await rawDoc(collection, id))?.e).toBeUndefined();
      await db.collection(collection).drop();
    });

    it('compare-and-set keeps a live record with a future expiry', async () => {
      const storage = await open();
      await storage.set('live', 'v1', { ttl: 60_000, version: 1 });
      await expectCode(storage.compareAndSet('live', 'x', { expectedVersion: null, version: 2 }), 'CONFLICT');
      await storage.compareAndSet('live', 'v2', { expectedVersion: 1, version: 2 });
      expect<unknown>(await storage.getEntry('live')).toEqual({ value: 'v2', version: 2 });
    });
  });

  describe('compare-and-set across connectors', () => {
    it('of five connectors inserting the same absent key, exactly one wins', async () => {
      const prefix = randomPrefix();
      const storages = await Promise.all(Array.from({ length: 5 }, () => open({ prefix })));
      const outcomes = await Promise.all(
        storages.map((storage, i) =>
          storage.compareAndSet('contested', i, { expectedVersion: null, version: 1 }).then(
            () => 'won',
            (err: ConnectorError) => err.code,
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 'won').length).toBe(1);
      expect(outcomes.filter((o) => o === 'CONFLICT').length).toBe(4);
      const winner = outcomes.indexOf('won');
      expect<unknown>(await storages[0]!.get('contested')).toBe(winner);
    });

    it('of five connectors updating the same version, exactly one wins', async () => {
      const prefix = randomPrefix();
      const storages = await Promise.all(Array.from({ length: 5 }, () => open({ prefix })));
      await storages[0]!.set('contested', 'base', { version: 7 });
      const outcomes = await Promise.all(
        storages.map((storage, i) =>
          storage.compareAndSet('contested', i, { expectedVersion: 7, version: 8 }).then(
            () => 'won',
            (err: ConnectorError) => err.code,
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 'won').length).toBe(1);
      expect(outcomes.filter((o) => o === 'CONFLICT').length).toBe(4);
      expect<unknown>(await storages[1]!.getEntry('contested')).toEqual({
        value: outcomes.indexOf('won'),
        version: 8,
      });
    });
  });

  describe('configuration', () => {
    it('an index on "e" with other options makes start-up fail with a clear CONFIG error', async () => {
      const collection = `conflict_${randomKey('c').replace(/-/g, '_')}`;
      await db.collection(collection).createIndex({ e: 1 });
      const storage = new MongoStorage({
        url: mongo.url,
        database: databaseOf(mongo.url),
        defaultCollection: collection,
      });
      const errors: ConnectorError[] = [];
      storage.on('error', (err: ConnectorError) => errors.push(err));
      const err = await expectCode(storage.whenReady(), 'CONFIG');
      expect(err.message).toContain(collection);
      expect(err.message).toContain('ensureIndexes');
      expect(errors.length).toBe(1);
      await expectCode(storage.get('k'), 'CONFIG');
      await storage.close();
      // With ensureIndexes: false the connector starts (the operator manages indexes).
      const unmanaged = await open({ defaultCollection: collection, ensureIndexes: false });
      await unmanaged.set('k', 1);
      expect<unknown>(await unmanaged.get('k')).toBe(1);
      await db.collection(collection).drop();
    });

    it('uses an existing MongoClient and leaves it open on close()', async () => {
      const client = new MongoClient(mongo.url);
      const storage = await readyStorage({ client, database: databaseOf(mongo.url), prefix: randomPrefix() });
      await storage.set('shared', 'client');
      expect<unknown>(await storage.get('shared')).toBe('client');
      await storage.close();
      expect<unknown>(await client.db(databaseOf(mongo.url)).command({ ping: 1 })).toEqual(
        jasmine.objectContaining({ ok: 1 }),
      );
      await client.close();
    });

    it('is created by createConnector from a mongodb:// URL, with the fragment as prefix', async () => {
      const prefix = randomPrefix();
      const url = mongo.url.includes('#') ? mongo.url : `${mongo.url}#${prefix}`;
      const connector = createConnector(url, { database: databaseOf(mongo.url) });
      connector.on('error', () => undefined);
      expect(connector instanceof MongoStorage).toBe(true);
      await connector.whenReady();
      await connector.set('via-registry', 1);
      expect<unknown>(await rawDoc('records', `${connector.prefix}via-registry`)).not.toBeNull();
      await connector.close();
    });
  });

  describe('deepstream plugin', () => {
    it('stores versioned records and answers head and headBulk', async () => {
      const plugin = new DeepstreamPlugin({
        url: mongo.url,
        database: databaseOf(mongo.url),
        prefix: randomPrefix(),
      });
      await plugin.whenReady();
      const call = <T extends unknown[]>(fn: (cb: (...args: T) => void) => void): Promise<T> =>
        new Promise((resolve) => fn((...args: T) => resolve(args)));
      expect(await call<[string | null]>((cb) => plugin.set('rec/a', 3, { a: 1 }, cb))).toEqual([null]);
      expect<unknown>(await call((cb) => plugin.get('rec/a', cb))).toEqual([null, 3, { a: 1 }]);
      expect<unknown>(await call((cb) => plugin.get('rec/none', cb))).toEqual([null, -1, null]);
      expect<unknown>(await call((cb) => plugin.head('rec/a', cb))).toEqual([null, 3]);
      expect<unknown>(await call((cb) => plugin.headBulk(['rec/a', 'rec/none'], cb))).toEqual([
        null,
        { 'rec/a': 3 },
        ['rec/none'],
      ]);
      expect<unknown>(await call((cb) => plugin.deleteBulk(['rec/a'], cb))).toEqual([null]);
      expect<unknown>(await call((cb) => plugin.get('rec/a', cb))).toEqual([null, -1, null]);
      await plugin.close();
    });
  });
});
