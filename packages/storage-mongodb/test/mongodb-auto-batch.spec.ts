import { ConnectorError, type JsonValue } from '@connector-kit/connector-core';
import { expectCode, randomKey, randomPrefix, useService } from '@connector-kit/test-suite';
import { KeyMapper, MongoStorage, type MongoStorageOptions } from '@connector-kit/storage-mongodb';
import { flushWrites, type WriteCall } from '@connector-kit/storage-mongodb/dist/batching';
import type { StoredDocument } from '@connector-kit/storage-mongodb/dist/stored-document';
import { ObjectId, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import { databaseOf, readyStorage, useRawMongo } from './helpers';
// Registers the `mongodb` launcher (emulator, or MONGODB_URL).
import '@connector-kit/test-suite/dist/services/mongodb';

/** Documents as the connector stores them. */
interface RawDoc extends Document {
  _id: string;
}

/** A collection name of its own for one spec (dropped at the end). */
function collectionName(label: string): string {
  return `${label}_${randomKey('c').replace(/-/g, '_')}`;
}

describe('MongoStorage auto-batching', () => {
  const mongo = useService('mongodb');
  let db: Db;
  const opened: MongoStorage[] = [];
  const created: string[] = [];

  useRawMongo(
    () => mongo.url,
    (database) => {
      db = database;
    },
    async () => {
      await Promise.allSettled(opened.map((s) => s.close()));
      await Promise.allSettled(created.map((name) => db.collection(name).drop()));
    },
  );

  /** A ready connector whose client reports every command it sends (`commands`). */
  const open = async (
    options: Partial<MongoStorageOptions> = {},
  ): Promise<{ storage: MongoStorage; commands: CommandStartedEvent[] }> => {
    const storage = await readyStorage({
      url: mongo.url,
      database: databaseOf(mongo.url),
      prefix: randomPrefix(),
      splitChar: '/',
      clientOptions: { monitorCommands: true },
      ...options,
    });
    opened.push(storage);
    const commands: CommandStartedEvent[] = [];
    storage.client.on('commandStarted', (event: CommandStartedEvent) => {
      if (event.commandName !== 'endSessions') commands.push(event);
    });
    return { storage, commands };
  };
  const named = (commands: CommandStartedEvent[], name: string): Document[] =>
    commands.filter((e) => e.commandName === name).map((e) => e.command);
  const collectionOf = (command: Document, name: string): unknown => command[name];
  /**
   * Write calls for keys of `collection` and a flush that hands them to batching.ts directly,
   * bypassing the connector (for batches it would never build itself).
   */
  const directWrites = (
    storage: MongoStorage,
    collection: string,
    on: { resolved(key: string, d: unknown): void; rejected(key: string, err: unknown): void },
  ): { call(key: string, d: unknown): WriteCall; flush(calls: WriteCall[]): Promise<void> } => {
    const keys = new KeyMapper(databaseOf(mongo.url), storage.prefix, 'records', '/', 512);
    return {
      call: (key, d) => {
        const location = keys.locate(`${storage.prefix}${collection}/${key}`);
        const doc: StoredDocument = { _id: location.id, v: 1, d };
        return {
          input: { location, doc },
          resolve: () => on.resolved(key, d),
          reject: (err: unknown) => on.rejected(key, err),
        };
      },
      flush: (calls) =>
        flushWrites(calls, (name) =>
          storage.client.db(databaseOf(mongo.url)).collection<StoredDocument>(name),
        ),
    };
  };

  it('sends the sets of one tick as one unordered bulkWrite per collection, and they read back exactly', async () => {
    const { storage, commands } = await open();
    const [a, b] = [collectionName('ab'), collectionName('ab')];
    created.push(a, b);
    const keys = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `${a}/k${i}` : `${b}/k${i}`));
    const valueOf = (i: number): JsonValue => ({
      i,
      name: `n${i}`,
      list: [i, 'x', null],
      'a.b': i % 3 === 0,
    });
    await Promise.all(keys.map((key, i) => storage.set(key, valueOf(i), { version: i + 1 })));

    const updates = named(commands, 'update');
    expect(updates.length).toBe(2);
    expect(updates.map((c) => collectionOf(c, 'update')).sort()).toEqual([a, b].sort());
    for (const command of updates) {
      expect(command.ordered).toBe(false);
      expect((command.updates as Document[]).length).toBe(20);
      for (const statement of command.updates as Document[]) expect(statement.upsert).toBe(true);
    }
    // Exactly what the single path stores, and what it reads back.
    expect<unknown>(await db.collection<RawDoc>(a).findOne({ _id: `${storage.prefix}k0` })).toEqual({
      _id: `${storage.prefix}k0`,
      v: 1,
      d: { i: 0, name: 'n0', list: [0, 'x', null], 'a%2Eb': true },
      x: true,
    });
    const entries = await Promise.all(keys.map((key) => storage.getEntry(key)));
    expect<unknown>(entries).toEqual(keys.map((_, i) => ({ value: valueOf(i), version: i + 1 })));
  });

  it('sends the gets and heads of one tick as one find with $in per collection, and skips expired and missing records', async () => {
    const { storage, commands } = await open();
    // Collections without a TTL index, so the expired document stays stored during the spec.
    const [a, b] = [collectionName('gets'), collectionName('gets')];
    created.push(a, b);
    await storage.set(`${a}/present`, { here: 'a' }, { version: 3 });
    await storage.set(`${b}/present`, ['b'], { version: 4 });
    await db.collection<RawDoc>(a).insertOne({
      _id: `${storage.prefix}expired`,
      v: 5,
      d: 'stale',
      e: new Date(Date.now() - 1000),
    });
    await db.collection<RawDoc>(b).insertOne({
      _id: `${storage.prefix}future`,
      v: 6,
      d: 'fresh',
      e: new Date(Date.now() + 60_000),
    });
    commands.length = 0;

    const keys = [`${a}/present`, `${a}/missing`, `${a}/expired`, `${b}/present`, `${b}/future`, `${b}/none`];
    const [entries, versions] = await Promise.all([
      Promise.all(keys.map((key) => storage.getEntry(key))),
      Promise.all(keys.map((key) => storage.head(key))),
    ]);
    expect<unknown>(entries).toEqual([
      { value: { here: 'a' }, version: 3 },
      null,
      null,
      { value: ['b'], version: 4 },
      { value: 'fresh', version: 6 },
      null,
    ]);
    expect(versions).toEqual([3, null, null, 4, 6, null]);

    const finds = named(commands, 'find');
    // Two collections, gets and heads apart: four commands for twelve calls.
    expect(finds.length).toBe(4);
    for (const find of finds) {
      expect(Object.keys((find.filter as Document)._id as Document)).toEqual(['$in']);
      expect((((find.filter as Document)._id as Document).$in as unknown[]).length).toBe(3);
    }
    const heads = finds.filter((f) => f.projection !== undefined);
    expect(heads.length).toBe(2);
    for (const head of heads) expect<unknown>(head.projection).toEqual({ v: 1, e: 1, k: 1 });
  });

  it('gives each caller of a key read twice in one tick its own exact value (BSON-only types included)', async () => {
    const { storage } = await open();
    const collection = collectionName('twice');
    created.push(collection);
    const id = new ObjectId();
    await db.collection<RawDoc>(collection).insertOne({
      _id: `${storage.prefix}by-hand`,
      v: 1,
      d: { ref: id, when: new Date(0), list: [1] },
    });
    const expected = { ref: id.toHexString(), when: '1970-01-01T00:00:00.000Z', list: [1] };
    const key = `${collection}/by-hand`;
    const [first, second, other] = (await Promise.all([
      storage.get(key),
      storage.get(key),
      storage.get(`${collection}/other`),
    ])) as [{ list: number[] }, { list: number[] }, null];
    expect<unknown>(first).toEqual(expected);
    expect<unknown>(second).toEqual(expected);
    expect(other).toBeNull();
    expect(first).not.toBe(second);
    expect(first.list).not.toBe(second.list);
    // The same through getBulk, which had the same duty.
    const [bulkFirst, bulkSecond] = (await storage.getBulk([key, key])) as { list: number[] }[];
    expect<unknown>(bulkFirst).toEqual(expected);
    expect<unknown>(bulkSecond).toEqual(expected);
    expect(bulkFirst!.list).not.toBe(bulkSecond!.list);
  });

  it('sends the deletes of one tick as one deleteMany per collection', async () => {
    const { storage, commands } = await open();
    const keys = Array.from({ length: 10 }, (_, i) => `gone-${i}`);
    await storage.setBulk(keys.map((key) => ({ key, value: key })));
    commands.length = 0;
    await Promise.all([...keys, 'never-written'].map((key) => storage.delete(key)));
    const deletes = named(commands, 'delete');
    expect(deletes.length).toBe(1);
    const statements = deletes[0]!.deletes as Document[];
    expect(statements.length).toBe(1);
    expect(statements[0]!.limit).toBe(0);
    expect(((statements[0]!.q as Document)._id as Document).$in).toEqual(
      [...keys, 'never-written'].map((key) => `${storage.prefix}${key}`),
    );
    expect<unknown>(await storage.getBulk(keys)).toEqual(keys.map(() => null));
  });

  it('a statement that fails (duplicate key on a unique index) fails only its own caller', async () => {
    const { storage, commands } = await open();
    const collection = collectionName('unique');
    created.push(collection);
    await db.collection<RawDoc>(collection).createIndex({ v: 1 }, { unique: true });
    commands.length = 0;
    const outcomes = await Promise.all(
      [
        ['a', 1],
        ['b', 1],
        ['c', 2],
        ['d', 3],
      ].map(([name, version]) =>
        storage.set(`${collection}/${String(name)}`, String(name), { version: Number(version) }).then(
          () => 'ok',
          (err: unknown) => err,
        ),
      ),
    );
    expect(named(commands, 'update').length).toBe(1);
    // a and b share version 1: exactly one of them is refused, with MongoDB's own message.
    const failed = outcomes.filter((o) => o !== 'ok');
    expect(failed.length).toBe(1);
    const error = failed[0] as ConnectorError;
    expect(error instanceof ConnectorError).toBe(true);
    expect(error.code).toBe('BACKEND');
    expect(error.message).toContain('mongodb set');
    expect(error.message).toContain('E11000');
    expect(outcomes.slice(2)).toEqual(['ok', 'ok']);
    const loser = outcomes[0] === 'ok' ? 'b' : 'a';
    const winner = loser === 'a' ? 'b' : 'a';
    expect<unknown>(
      await storage.getBulk([winner, loser, 'c', 'd'].map((n) => `${collection}/${n}`)),
    ).toEqual([winner, null, 'c', 'd']);
  });

  it('a value whose document would exceed 16 MiB fails alone (VALUE_TOO_LARGE); the other writes of its tick are stored', async () => {
    // Nested deeper than MongoDB allows, so stored as JSON text in `j`: a control character is one
    // byte as MessagePack (the size limit's measure) but six (`\u0001`) in that text, so the value
    // is ~3.2 MB and its document ~19 MB.
    const { storage, commands } = await open({ codec: 'msgpack' });
    let huge: JsonValue = '\u0001'.repeat(3_200_000);
    for (let i = 0; i < 95; i++) huge = [huge];
    const outcomes = await Promise.all(
      [storage.set('small-1', 1), storage.set('huge', huge), storage.set('small-2', 2)].map((p) =>
        p.then(
          () => 'ok',
          (err: unknown) => (err instanceof ConnectorError ? err.code : String(err)),
        ),
      ),
    );
    expect(outcomes).toEqual(['ok', 'VALUE_TOO_LARGE', 'ok']);
    expect<unknown>(await storage.getBulk(['small-1', 'huge', 'small-2'])).toEqual([1, null, 2]);
    expect(named(commands, 'update').length).toBe(1);
    // Alone (the unbatched path) it is the same clear error.
    await expectCode(storage.set('huge', huge), 'VALUE_TOO_LARGE');
  }, 60_000);

  it('when the driver refuses a whole bulkWrite for one document, each write is sent alone and keeps its own outcome', async () => {
    const { storage, commands } = await open();
    const collection = collectionName('refused');
    created.push(collection);
    const settled: string[] = [];
    const { call, flush } = directWrites(storage, collection, {
      resolved: (key) => settled.push(`${key} ok`),
      rejected: (key) => settled.push(`${key} failed`),
    });
    // Over the 16 MiB the driver allows per statement: it throws before sending anything.
    await flush([call('a', 'small'), call('huge', 'x'.repeat(17 * 1024 * 1024)), call('b', 'small')]);
    expect(settled.sort()).toEqual(['a ok', 'b ok', 'huge failed']);
    expect(named(commands, 'update').filter((u) => (u.updates as Document[]).length > 1)).toEqual([]);
    expect<unknown>(
      await storage.getBulk([`${collection}/a`, `${collection}/huge`, `${collection}/b`]),
    ).toEqual(['small', null, 'small']);
  }, 60_000);

  it('a batch naming one _id twice writes it in two commands, in call order (the later write wins)', async () => {
    // The base class never has two writes of one key in flight; the batch guards it anyway.
    const { storage, commands } = await open();
    const collection = collectionName('dup');
    created.push(collection);
    const settled: string[] = [];
    const { call, flush } = directWrites(storage, collection, {
      resolved: (key, d) => settled.push(`${key}=${String(d)}`),
      rejected: (key, err) => settled.push(`${key} failed: ${String(err)}`),
    });
    await flush([call('a', 'first'), call('b', 'only'), call('a', 'second'), call('a', 'third')]);
    expect(settled.sort()).toEqual(['a=first', 'a=second', 'a=third', 'b=only']);
    const updates = named(commands, 'update');
    expect(updates.map((u) => (u.updates as Document[]).length)).toEqual([2, 1, 1]);
    expect<unknown>(await storage.get(`${collection}/a`)).toBe('third');
    expect<unknown>(await storage.get(`${collection}/b`)).toBe('only');
  });

  it('a lone call is sent exactly as without auto-batching', async () => {
    const batched = await open();
    const single = await open({ autoBatch: false });
    for (const { storage } of [batched, single]) {
      await storage.set('alone', { n: 1 }, { version: 2 });
      await storage.get('alone');
      await storage.head('alone');
      await storage.delete('alone');
    }
    const shape = (commands: CommandStartedEvent[]): unknown[] =>
      commands.map((e) => {
        const { lsid: _lsid, $clusterTime: _time, txnNumber: _txn, ...rest } = e.command;
        return JSON.parse(JSON.stringify(rest, (k, v: unknown) => (k === '_id' || k === 'q' ? '·' : v)));
      });
    expect(batched.commands.length).toBe(4);
    expect(shape(batched.commands)).toEqual(shape(single.commands));
    expect(named(batched.commands, 'update')[0]!.ordered).toBe(true);
  });

  it('with autoBatch false (or ?autoBatch=false in the URL) every call is its own command', async () => {
    const url = `${mongo.url}${mongo.url.includes('?') ? '&' : '?'}autoBatch=false`;
    for (const options of [{ autoBatch: false }, { url }]) {
      const { storage, commands } = await open(options);
      const keys = Array.from({ length: 8 }, (_, i) => `single-${i}`);
      await Promise.all(keys.map((key, i) => storage.set(key, i)));
      const values = await Promise.all(keys.map((key) => storage.get(key)));
      expect<unknown>(values).toEqual(keys.map((_, i) => i));
      const updates = named(commands, 'update');
      expect(updates.length).withContext(JSON.stringify(options)).toBe(8);
      for (const update of updates) expect((update.updates as Document[]).length).toBe(1);
      expect(named(commands, 'find').length).withContext(JSON.stringify(options)).toBe(8);
    }
  });

  it('a TTL write waits for its collection index once; afterwards TTL and plain writes of one tick share a bulkWrite', async () => {
    const { storage, commands } = await open();
    const collection = collectionName('ttl');
    created.push(collection);
    const keys = Array.from({ length: 6 }, (_, i) => `${collection}/t${i}`);
    await Promise.all(keys.map((key, i) => storage.set(key, i, { ttl: 60_000 })));
    expect(named(commands, 'createIndexes').length).toBe(1);
    expect(named(commands, 'update').length).toBe(1);
    commands.length = 0;
    // From an I/O-like callback (as a server's socket handler calls): a TTL write that waited for
    // anything, even an index known to exist, would miss the plain writes' batch.
    await new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        Promise.all(keys.map((key, i) => storage.set(key, i + 10, i % 2 === 0 ? { ttl: 60_000 } : {}))).then(
          () => resolve(),
          reject,
        );
      });
    });
    expect(named(commands, 'createIndexes').length).toBe(0);
    expect(named(commands, 'update').length).toBe(1);
    expect<unknown>(await Promise.all(keys.map((key) => storage.get(key)))).toEqual(
      keys.map((_, i) => i + 10),
    );
    const stored = await db.collection<RawDoc>(collection).find({}).sort({ _id: 1 }).toArray();
    expect(stored.map((doc) => doc.e instanceof Date)).toEqual(keys.map((_, i) => i % 2 === 0));
  });

  it("a TTL write whose index cannot be created fails alone and is not written; its tick's plain write goes through", async () => {
    const { storage } = await open();
    const collection = collectionName('noindex');
    created.push(collection);
    // An index on "e" without expireAfterSeconds: the TTL index cannot be created beside it.
    await db.collection<RawDoc>(collection).createIndex({ e: 1 });
    const [withTtl, plain] = await Promise.all([
      storage.set(`${collection}/ttl`, 1, { ttl: 60_000 }).then(
        () => null,
        (err: unknown) => err,
      ),
      storage.set(`${collection}/plain`, 2),
    ]);
    expect(withTtl instanceof ConnectorError && withTtl.code).toBe('CONFIG');
    expect(plain).toBeUndefined();
    const ids = (await db.collection<RawDoc>(collection).find({}).toArray()).map((doc) => doc._id);
    expect(ids).toEqual([`${storage.prefix}plain`]);
  });
});
