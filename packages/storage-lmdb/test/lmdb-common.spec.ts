import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msgpackCodec } from '@connector-kit/connector-core';
import { describeConnector } from '@connector-kit/test-suite';
import { LMDB_STORAGE_DEFAULTS, LmdbStorage } from '@connector-kit/storage-lmdb';

/**
 * The common spec on real LMDB environments in temporary directories. Every connector of one
 * run opens the same directory (prefixes keep them apart), so the persistence check reopens data
 * written by an earlier, closed connector.
 */
describe('storage-lmdb', () => {
  const root = mkdtempSync(join(tmpdir(), 'storage-lmdb-spec-'));
  // A regular file where the data directory should be: the connector can never open there.
  const notADirectory = join(root, 'not-a-directory');
  writeFileSync(notADirectory, '');
  const supports = {
    ttl: true,
    ttlGranularityMs: 1,
    bulk: true,
    compareAndSet: true,
    persistent: true,
    maxValueBytes: LMDB_STORAGE_DEFAULTS.maxValueBytes,
  };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describeConnector({
    name: 'LmdbStorage',
    create: ({ prefix }) => new LmdbStorage({ path: join(root, 'flushed'), prefix }),
    createUnreachable: () =>
      new LmdbStorage({
        path: join(notADirectory, 'data'),
        operationTimeoutMs: 500,
        connectTimeoutMs: 500,
      }),
    supports,
  });

  // The other durability setting, the msgpack codec and the URL form.
  describeConnector({
    name: 'LmdbStorage (durability committed, msgpack codec, configured by URL)',
    create: ({ prefix }) =>
      new LmdbStorage({
        url: `lmdb://${encodeURI(join(root, 'committed'))}?durability=committed`,
        prefix,
        codec: 'msgpack',
      }),
    codec: msgpackCodec,
    supports,
  });
});
