import { MemoryCache, MemoryStore, msgpackCodec } from '@connector-kit/connector-core';
import { describeConnector } from '@connector-kit/test-suite';

// Connectors under different prefixes share one store, as they would share one server.
const shared = new MemoryStore();

describeConnector({
  name: 'MemoryCache',
  create: ({ prefix }) => new MemoryCache({ store: shared, prefix }),
  supports: { ttl: true, bulk: true, compareAndSet: true, persistent: false },
});

describeConnector({
  name: 'MemoryCache with the MessagePack codec',
  create: ({ prefix }) =>
    new MemoryCache({ store: shared, prefix, codec: 'msgpack', maxValueBytes: 1024 * 1024 }),
  codec: msgpackCodec,
  supports: { maxValueBytes: 1024 * 1024 },
});
