import { msgpackCodec } from '@connector-kit/connector-core';
import { describeConnector, useService } from '@connector-kit/test-suite';
import { MongoStorage, MONGODB_STORAGE_DEFAULTS } from '@connector-kit/storage-mongodb';
import { closedPort, databaseOf } from './helpers';
// Registers the `mongodb` launcher (emulator, or MONGODB_URL).
import '@connector-kit/test-suite/dist/services/mongodb';

/**
 * The common spec against the `mongodb` launcher: a real mongod when MONGODB_URL is set,
 * otherwise the test-suite's MongoDB wire-protocol emulator.
 */
describe('storage-mongodb', () => {
  const mongo = useService('mongodb');
  const supports = {
    ttl: true,
    ttlGranularityMs: 1,
    bulk: true,
    compareAndSet: true,
    persistent: true,
    maxKeyBytes: MONGODB_STORAGE_DEFAULTS.maxKeyBytes,
    maxValueBytes: MONGODB_STORAGE_DEFAULTS.maxValueBytes,
  };
  const createUnreachable = async (): Promise<MongoStorage> =>
    new MongoStorage({
      url: `mongodb://127.0.0.1:${await closedPort()}/unreachable?directConnection=true`,
      operationTimeoutMs: 1000,
    });

  describeConnector({
    name: 'MongoStorage',
    create: ({ prefix }) => new MongoStorage({ url: mongo.url, database: databaseOf(mongo.url), prefix }),
    createUnreachable,
    supports,
  });

  // Keys split into collections, and the msgpack codec: the stored shape does not depend on either.
  describeConnector({
    name: 'MongoStorage with splitChar "/" and the msgpack codec',
    create: ({ prefix }) =>
      new MongoStorage({
        url: mongo.url,
        database: databaseOf(mongo.url),
        prefix,
        splitChar: '/',
        codec: 'msgpack',
      }),
    codec: msgpackCodec,
    supports,
  });
});
