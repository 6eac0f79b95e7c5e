// The `mongodb` service launcher: the emulator as a child process, with fault helpers.
import * as fs from 'node:fs';
import { MongoClient } from 'mongodb';
import '../../dist/services/mongodb';
import { startService } from '../../dist/services/registry';
import type { ServiceHandle } from '../../dist/services/types';
import { failureOf, type Doc } from './helpers';

const T = 30_000;

describe('mongodb launcher (emulator child process)', () => {
  let handle: ServiceHandle;
  let client: MongoClient;

  beforeAll(async () => {
    handle = await startService('mongodb', { local: true });
    client = new MongoClient(handle.url, { serverSelectionTimeoutMS: 5000, socketTimeoutMS: 1500 });
    await client.connect();
  }, T);
  afterAll(async () => {
    await client?.close();
    await handle?.stop();
  }, T);

  it('hands out a mongodb:// URL for the test database and says it is an emulator', async () => {
    const node = handle.nodes[0];
    expect(handle.external).toBe(false);
    expect(handle.nodes.length).toBe(1);
    expect(handle.url).toBe(`mongodb://127.0.0.1:${node.port}/connector_kit_test?directConnection=true`);
    expect(handle.info.emulator).toBe(true);
    expect(client.db().databaseName).toBe('connector_kit_test');
    const info = await client.db().command({ buildInfo: 1 });
    expect(info.emulator).toBe(true);
  });

  it(
    'keeps acknowledged writes across SIGKILL and restart on the same port',
    async () => {
      const node = handle.nodes[0];
      const port = node.port;
      const coll = client.db().collection<Doc>('survivors');
      await coll.insertMany([{ _id: 'a' }, { _id: 'b' }]);
      await coll.updateOne({ _id: 'a' }, { $set: { touched: true } });
      await node.kill('SIGKILL');
      expect(node.running).toBe(false);
      await node.restart();
      expect(node.running).toBe(true);
      expect(node.port).toBe(port);
      const fresh = new MongoClient(handle.url, { serverSelectionTimeoutMS: 5000 });
      try {
        const docs = await fresh.db().collection<Doc>('survivors').find({}).toArray();
        expect(docs).toEqual([{ _id: 'a', touched: true }, { _id: 'b' }]);
      } finally {
        await fresh.close();
      }
      // The long-lived client reconnects by itself.
      expect((await coll.find({}).toArray()).length).toBe(2);
    },
    T,
  );

  it(
    'a paused emulator hangs requests; resumed, it answers again',
    async () => {
      const node = handle.nodes[0];
      await client.db().command({ ping: 1 });
      node.pause();
      try {
        const err = await failureOf(() => client.db().command({ ping: 1 }));
        expect(String(err.message)).toMatch(/timed out|timeout/i);
      } finally {
        node.resume();
      }
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await client.db().command({ ping: 1 });
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      }
    },
    T,
  );

  it(
    'stop() kills the process and removes its data directory',
    async () => {
      const other = await startService('mongodb', { local: true, database: 'other_db' });
      const dataFile = String(other.info.dataFile);
      expect(other.url).toContain('/other_db?');
      expect(fs.existsSync(dataFile)).toBe(true);
      await other.stop();
      await other.stop();
      expect(other.nodes[0].running).toBe(false);
      expect(fs.existsSync(dataFile)).toBe(false);
    },
    T,
  );

  it('uses MONGODB_URL as an external server when set', async () => {
    const saved = process.env.MONGODB_URL;
    process.env.MONGODB_URL = 'mongodb://db.example:27017/mine';
    try {
      const external = await startService('mongodb');
      expect(external.external).toBe(true);
      expect(external.url).toBe('mongodb://db.example:27017/mine');
      expect(external.nodes.length).toBe(0);
      await external.stop();
    } finally {
      if (saved === undefined) delete process.env.MONGODB_URL;
      else process.env.MONGODB_URL = saved;
    }
  });
});
