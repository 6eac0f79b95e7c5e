// The optional data file: every acknowledged mutation survives a restart.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Int32, Long } from 'bson';
import { MongoClient } from 'mongodb';
import { startMongoEmulator, type MongoEmulator } from '../../dist/emulators/mongodb';
import { failureOf, T, type Doc } from './helpers';

describe('mongodb emulator: data file', () => {
  let dir: string;
  let dataFile: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongodb-emulator-spec-'));
    dataFile = path.join(dir, 'data.bson');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function withServer<R>(
    body: (client: MongoClient, emulator: MongoEmulator) => Promise<R>,
    port = 0,
  ): Promise<R> {
    const emulator = await startMongoEmulator({ quiet: true, dataFile, port });
    const client = new MongoClient(emulator.url, { serverSelectionTimeoutMS: 3000 });
    try {
      await client.connect();
      return await body(client, emulator);
    } finally {
      await client.close();
      await emulator.close();
    }
  }

  it(
    'replays documents, updates, deletes, indexes and drops after a restart',
    async () => {
      await withServer(async (client) => {
        const coll = client.db('p').collection<Doc>('c');
        await coll.createIndex({ email: 1 }, { unique: true });
        await coll.createIndex({ e: 1 }, { expireAfterSeconds: 30 });
        await coll.insertMany([
          { _id: 1, email: 'a', n: new Int32(1), big: Long.fromString('12345678901234') },
          { _id: 2, email: 'b' },
          { _id: 3, email: 'c' },
        ]);
        await coll.updateOne({ _id: 1 }, { $set: { 'deep.x': true } });
        await coll.replaceOne({ _id: 2 }, { email: 'b2' });
        await coll.deleteOne({ _id: 3 });
        await client.db('p').collection('gone').insertOne({});
        await client.db('p').collection('gone').drop();
        await client.db('q').collection('c').insertOne({});
        await client.db('q').dropDatabase();
      });
      await withServer(async (client) => {
        const coll = client.db('p').collection<Doc>('c');
        const docs = await coll.find({}, { promoteLongs: false }).toArray();
        expect(docs.length).toBe(2);
        expect(docs[0]._id).toBe(1);
        expect(docs[0].deep).toEqual({ x: true });
        expect((docs[0].big as Long).toString()).toBe('12345678901234');
        expect(docs[1]).toEqual({ _id: 2, email: 'b2' });
        const indexes = await coll.listIndexes().toArray();
        expect(indexes.map((i) => i.name)).toEqual(['_id_', 'email_1', 'e_1']);
        expect(indexes[2].expireAfterSeconds).toBe(30);
        expect((await failureOf(() => coll.insertOne({ email: 'a' }))).code).toBe(11000);
        const names = (await client.db('p').listCollections().toArray()).map((c) => c.name);
        expect(names).toEqual(['c']);
        const { databases } = await client.db('admin').admin().listDatabases();
        expect(databases.map((d) => d.name)).toEqual(['p']);
      });
    },
    T,
  );

  it(
    'keeps stored field names that look like Extended JSON ($numberInt) intact',
    async () => {
      await withServer(async (client) => {
        await client
          .db('p')
          .collection<Doc>('c')
          .insertOne({ _id: 'x', v: { $numberInt: '5', 'a.b': 1 } });
      });
      await withServer(async (client) => {
        expect<unknown>(await client.db('p').collection<Doc>('c').findOne({ _id: 'x' })).toEqual({
          _id: 'x',
          v: { $numberInt: '5', 'a.b': 1 },
        });
      });
    },
    T,
  );

  it(
    'ignores a torn record at the end of the file (a crash mid-write)',
    async () => {
      await withServer(async (client) => {
        await client
          .db('p')
          .collection<Doc>('c')
          .insertMany([{ _id: 1 }, { _id: 2 }]);
      });
      const torn = Buffer.alloc(9);
      torn.writeInt32LE(500, 0);
      fs.appendFileSync(dataFile, torn);
      await withServer(async (client) => {
        expect((await client.db('p').collection<Doc>('c').find({}).toArray()).length).toBe(2);
        await client.db('p').collection<Doc>('c').insertOne({ _id: 3 });
      });
      await withServer(async (client) => {
        expect((await client.db('p').collection<Doc>('c').find({}).toArray()).length).toBe(3);
      });
    },
    T,
  );

  it(
    'keeps collection UUIDs stable across restarts',
    async () => {
      const uuid = async (client: MongoClient): Promise<string> => {
        const [info] = await client.db('p').listCollections({ name: 'c' }).toArray();
        return JSON.stringify((info as { info?: unknown }).info);
      };
      let before = '';
      await withServer(async (client) => {
        await client.db('p').collection<Doc>('c').insertOne({});
        before = await uuid(client);
      });
      await withServer(async (client) => {
        expect(await uuid(client)).toBe(before);
      });
    },
    T,
  );
});
