/**
 * Child process of the cross-process compare-and-set spec (lmdb-crash.spec.ts): increments the
 * version of one key `LMDB_CAS_COUNT` times with compareAndSet (read the version, write version
 * + 1 expecting it, retry on CONFLICT), then prints how many conflicts it met and exits.
 */
import { ConnectorError } from '@connector-kit/connector-core';
import { LmdbStorage } from '@connector-kit/storage-lmdb';

async function main(): Promise<void> {
  const storage = new LmdbStorage({ path: process.env.LMDB_CAS_PATH, durability: 'committed' });
  await storage.whenReady();
  const count = Number(process.env.LMDB_CAS_COUNT);
  let conflicts = 0;
  for (let i = 0; i < count; i++) {
    for (;;) {
      const version = await storage.head('counter');
      try {
        await storage.compareAndSet(
          'counter',
          { pid: process.pid, i },
          { expectedVersion: version, version: (version ?? 0) + 1 },
        );
        break;
      } catch (err) {
        if (!(err instanceof ConnectorError) || err.code !== 'CONFLICT') throw err;
        conflicts++;
      }
    }
  }
  await storage.close();
  process.stdout.write(`${conflicts}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`cas-child failed: ${String(err)}\n`);
  process.exit(1);
});
