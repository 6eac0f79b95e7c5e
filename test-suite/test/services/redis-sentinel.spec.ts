import '../../dist/services';
import { canConnect } from '../../dist/services/ports';
import type { HostPort } from '../../dist/services/redis-cluster';
import { sentinelMasterAddress, sentinelMasterState } from '../../dist/services/redis-sentinel';
import { startService } from '../../dist/services/registry';
import type { ServiceHandle } from '../../dist/services/types';
import { waitUntil } from '../../dist/services/wait';
import { exists, failureOf, loadIoredis, redisClient, type RedisClient } from './clients';

// Sentinels need ~2 s to discover each other; be generous on a small CI machine.
const T = 30_000;

/** An ioredis v5 client that finds the master (or a replica) through the Sentinels; never retries. */
function sentinelClient(handle: ServiceHandle, role: 'master' | 'slave' = 'master'): RedisClient {
  const { Redis } = loadIoredis();
  const client = new Redis({
    sentinels: handle.info.sentinels as HostPort[],
    name: String(handle.info.masterName),
    role,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 2000,
  });
  client.on('error', () => undefined);
  return client;
}

describe('redis-sentinel launcher', () => {
  describe('master and two sentinels (default)', () => {
    let handle: ServiceHandle;
    beforeAll(async () => {
      handle = await startService('redis-sentinel', { local: true });
    }, T);
    afterAll(() => handle?.stop(), T);

    it(
      'lists the master first, then the sentinels, and advertises them in the URL',
      async () => {
        expect(handle.external).toBe(false);
        expect(handle.nodes.length).toBe(3);
        const [master, ...sentinels] = handle.nodes;
        expect(handle.info.masterName).toBe('mymaster');
        expect(handle.info.master).toEqual({ host: '127.0.0.1', port: master.port });
        expect(handle.info.sentinels).toEqual(sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })));
        expect(handle.info.replica).toBeUndefined();
        expect(handle.url).toBe(
          `redis+sentinel://127.0.0.1:${sentinels[0].port},127.0.0.1:${sentinels[1].port}/mymaster`,
        );
        for (const sentinel of sentinels) {
          expect(await sentinelMasterAddress(sentinel.port)).toEqual({
            host: '127.0.0.1',
            port: master.port,
          });
          const state = await sentinelMasterState(sentinel.port);
          expect(state.flags).toBe('master');
          expect(state.quorum).toBe('1');
          expect(state['num-other-sentinels']).toBe('1');
        }
      },
      T,
    );

    it(
      'serves writes and reads through an ioredis client that asks the sentinels',
      async () => {
        const client = sentinelClient(handle);
        const direct = redisClient(handle.nodes[0].port);
        try {
          await client.connect();
          await client.set('via-sentinel', 'hello');
          expect(await client.get('via-sentinel')).toBe('hello');
          // It really is the master the launcher started.
          await direct.connect();
          expect(await direct.get('via-sentinel')).toBe('hello');
        } finally {
          client.disconnect();
          direct.disconnect();
        }
      },
      T,
    );
  });

  it(
    'with a replica: lists master, replica, sentinels; the replica follows the master',
    async () => {
      const handle = await startService('redis-sentinel', { local: true, replica: true, sentinels: 3 });
      try {
        expect(handle.nodes.length).toBe(5);
        const [master, replica, ...sentinels] = handle.nodes;
        expect(handle.info.master).toEqual({ host: '127.0.0.1', port: master.port });
        expect(handle.info.replica).toEqual({ host: '127.0.0.1', port: replica.port });
        expect((handle.info.sentinels as HostPort[]).map((s) => s.port)).toEqual(
          sentinels.map((s) => s.port),
        );
        for (const sentinel of sentinels) {
          const state = await sentinelMasterState(sentinel.port);
          expect(state['num-slaves']).toBe('1');
          expect(state['num-other-sentinels']).toBe('2');
        }
        const writer = sentinelClient(handle);
        const reader = sentinelClient(handle, 'slave');
        try {
          await writer.connect();
          await writer.set('replicated', 'yes');
          await reader.connect();
          expect(await reader.config('GET', 'port')).toEqual(['port', String(replica.port)]);
          const value = await waitUntil(async () => (await reader.get('replicated')) ?? undefined, {
            timeoutMs: 5000,
            what: 'the write to reach the replica',
          });
          expect(value).toBe('yes');
        } finally {
          writer.disconnect();
          reader.disconnect();
        }
      } finally {
        await handle.stop();
      }
    },
    T,
  );

  it('uses REDIS_SENTINEL_URL when set, with its sentinels and master name in info', async () => {
    const saved = process.env.REDIS_SENTINEL_URL;
    process.env.REDIS_SENTINEL_URL =
      'redis+sentinel://:pw@sentinel-a:26380,sentinel-b/cache-master?db=1#app:';
    try {
      const handle = await startService('redis-sentinel');
      expect(handle.external).toBe(true);
      expect(handle.nodes.length).toBe(0);
      expect(handle.url).toBe(process.env.REDIS_SENTINEL_URL);
      expect(handle.info.masterName).toBe('cache-master');
      expect(handle.info.sentinels).toEqual([
        { host: 'sentinel-a', port: 26380 },
        { host: 'sentinel-b', port: 26379 },
      ]);
      await handle.stop();
    } finally {
      if (saved === undefined) delete process.env.REDIS_SENTINEL_URL;
      else process.env.REDIS_SENTINEL_URL = saved;
    }
  });

  it('rejects bad options before starting anything', async () => {
    expect((await failureOf(startService('redis-sentinel', { local: true, sentinels: 0 }))).message).toMatch(
      /"sentinels" must be an integer >= 1/,
    );
    expect(
      (await failureOf(startService('redis-sentinel', { local: true, replica: 'yes' }))).message,
    ).toMatch(/"replica" must be a boolean/);
  });

  it(
    'removes its temporary directory and kills every process on stop (twice is fine)',
    async () => {
      const handle = await startService('redis-sentinel', { local: true, sentinels: 1 });
      const dir = String(handle.info.dir);
      expect(exists(dir)).toBe(true);
      await handle.stop();
      await handle.stop();
      expect(exists(dir)).toBe(false);
      for (const node of handle.nodes) {
        expect(node.running).withContext(`node ${node.port}`).toBe(false);
        expect(await canConnect(node.port))
          .withContext(`port ${node.port}`)
          .toBe(false);
      }
    },
    T,
  );
});
