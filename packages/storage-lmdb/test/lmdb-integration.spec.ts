import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCache, TieredStore, WorkerConnector } from '@connector-kit/connector-core';
import { LmdbStorage } from '@connector-kit/storage-lmdb';

/** LmdbStorage under the kit's other parts: the tiered store, and a worker thread. */
describe('LmdbStorage with the tiered store and WorkerConnector', () => {
  const root = mkdtempSync(join(tmpdir(), 'storage-lmdb-integration-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is the storage tier under a memory cache: writes, TTLs and deletes reach it', async () => {
    const path = join(root, 'tiered');
    const store = new TieredStore({
      caches: [new MemoryCache()],
      storage: new LmdbStorage({ path, prefix: 'tier:' }),
      writeBehind: { writeDelayMs: 0 },
    });
    store.on('error', (err: Error) => fail(err));
    await store.whenReady();
    expect(store.supports.ttl).toBe(true);
    await store.set('doc/1', { title: 'hello' }, { version: 3 });
    await store.set('doc/2', 'brief', { ttl: 60_000 });
    await store.set('doc/3', 'doomed');
    await store.delete('doc/3');
    await store.flush();
    await store.close();
    const direct = new LmdbStorage({ path, prefix: 'tier:' });
    await direct.whenReady();
    expect<unknown>(await direct.getEntryBulk(['doc/1', 'doc/2', 'doc/3'])).toEqual([
      { value: { title: 'hello' }, version: 3 },
      { value: 'brief', version: 0 },
      null,
    ]);
    await direct.close();
  });

  it('runs in a worker thread, built there from its lmdb:// URL', async () => {
    const path = join(root, 'worker');
    const worker = await WorkerConnector.start({ url: `lmdb://${path}#w:` });
    try {
      expect(worker.supports.persistent).toBe(true);
      expect(worker.supports.compareAndSet).toBe(true);
      await worker.set('k', { from: 'thread' }, { version: 5 });
      await worker.compareAndSet('k', 'next', { expectedVersion: 5, version: 6 });
      expect<unknown>(await worker.getEntry('k')).toEqual({ value: 'next', version: 6 });
    } finally {
      await worker.close();
    }
    const direct = new LmdbStorage({ path, prefix: 'w:' });
    expect<unknown>(await direct.getEntry('k')).toEqual({ value: 'next', version: 6 });
    await direct.close();
  });
});
