import * as net from 'node:net';
import { MongoClient, type Db } from 'mongodb';
import { MongoStorage, type MongoStorageOptions } from '@connector-kit/storage-mongodb';

/** Database the tests use: the one in the service URL, else this. */
export const FALLBACK_TEST_DATABASE = 'connector_kit_test';

/** The database named in a mongodb:// URL's path, if any. */
export function databaseOf(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?#]*)/.exec(url)?.[1];
  return path ? decodeURIComponent(path) : FALLBACK_TEST_DATABASE;
}

/** A loopback port nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A connector that listens for 'error' (so nothing is logged) and is ready. */
export async function readyStorage(options: MongoStorageOptions): Promise<MongoStorage> {
  const storage = new MongoStorage(options);
  storage.on('error', () => undefined);
  await storage.whenReady();
  return storage;
}

/**
 * The tests' own driver client on the service: registers the beforeAll that connects it (handing
 * its database to `use`) and the afterAll that closes it after `cleanUp`.
 */
export function useRawMongo(
  url: () => string,
  use: (db: Db) => void,
  cleanUp: (db: Db) => Promise<unknown> = async () => undefined,
): void {
  let raw: MongoClient | null = null;
  beforeAll(async () => {
    raw = new MongoClient(url());
    await raw.connect();
    use(raw.db(databaseOf(url())));
  });
  afterAll(async () => {
    if (raw) await cleanUp(raw.db(databaseOf(url())));
    await raw?.close();
  });
}
