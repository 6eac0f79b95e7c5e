import { randomPrefix, useService } from '@connector-kit/test-suite';
import { connector, inspector, sleep } from './support';

describe('cache-redis: masterUrl (writes to the master, reads from a replica)', () => {
  const master = useService('redis');
  const replica = useService('redis');

  it('writes go to masterUrl and reads to url', async () => {
    const masterPort = master.handle.nodes[0]?.port;
    if (master.handle.external || masterPort === undefined) pending('needs two local redis-servers');
    const onMaster = inspector(master.url);
    const onReplica = inspector(replica.url);
    const prefix = randomPrefix();
    const cache = connector({ url: replica.url, masterUrl: master.url, prefix });
    try {
      // The master would otherwise wait 5 s for more replicas before the first sync.
      await onMaster.config('SET', 'repl-diskless-sync-delay', '0');
      await onReplica.call('REPLICAOF', '127.0.0.1', String(masterPort));
      await cache.set('shared', 'v1', { version: 1 });
      expect<unknown>(await onMaster.exists(`${prefix}shared`)).toBe(1);
      // Replication is asynchronous: wait (bounded) until the replica has it.
      const deadline = Date.now() + 10_000;
      while ((await cache.get('shared')) !== 'v1') {
        if (Date.now() > deadline) throw new Error('the replica never received the write');
        await sleep(50);
      }
      expect<unknown>(await cache.headBulk(['shared', 'none'])).toEqual([1, null]);
      // Detach the replica: new writes reach the master only, reads keep coming from the replica.
      await onReplica.call('REPLICAOF', 'NO', 'ONE');
      await cache.set('shared', 'v2', { version: 2 });
      expect<unknown>(await cache.getEntry('shared')).toEqual({ value: 'v1', version: 1 });
      expect<unknown>(await onMaster.get(`${prefix}shared`)).toBe('v2:"v2"');
      await cache.compareAndSet('shared', 'v3', { expectedVersion: 2, version: 3 });
      expect<unknown>(await onMaster.get(`${prefix}shared`)).toBe('v3:"v3"');
    } finally {
      await cache.close();
      await onReplica.call('REPLICAOF', 'NO', 'ONE').catch(() => undefined);
      onMaster.disconnect();
      onReplica.disconnect();
    }
  }, 30_000);
});
