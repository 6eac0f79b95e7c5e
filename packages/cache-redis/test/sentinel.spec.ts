import type { ConnectorError } from '@connector-kit/connector-core';
import { RedisCache } from '@connector-kit/cache-redis';
import {
  describeConnector,
  freePort,
  randomPrefix,
  sentinelMasterAddress,
  useService,
  type HostPort,
  type ServiceFixture,
  type ServiceHandle,
} from '@connector-kit/test-suite';
import { connector, inspector, outcomesOf, sleep, within, expectStreamSettled } from './support';

const SUPPORTS = { ttl: true, ttlGranularityMs: 1, bulk: true, compareAndSet: true, persistent: true };

/** The launcher's handle; external Sentinels (REDIS_SENTINEL_URL) have no processes to look at or kill. */
function localHandle(fixture: ServiceFixture): ServiceHandle {
  const handle = fixture.handle;
  if (handle.external) pending('needs Sentinels started by the launcher (REDIS_SENTINEL_URL is set)');
  return handle;
}

/** Resolves with the next `event` the connector emits, or rejects after `ms`. */
function next(cache: RedisCache, event: 'ready' | 'error', ms: number): Promise<unknown> {
  return within(new Promise((resolve) => cache.once(event, resolve)), ms, `a '${event}' event`);
}

/** Polls until every Sentinel names `expected` as the master, within `ms`. */
async function sentinelsAgreeOn(sentinels: HostPort[], expected: HostPort, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const seen = await Promise.all(sentinels.map((s) => sentinelMasterAddress(s.port).catch(() => null)));
    if (seen.every((a) => a?.host === expected.host && a.port === expected.port)) return;
    if (Date.now() > deadline) {
      throw new Error(`the sentinels still name ${JSON.stringify(seen)}, not ${JSON.stringify(expected)}`);
    }
    await sleep(100);
  }
}

describe('cache-redis: Redis Sentinel', () => {
  describe('through a redis+sentinel:// URL (master and two sentinels)', () => {
    const sentinel = useService('redis-sentinel');

    describeConnector({
      name: 'redis (sentinel)',
      create: ({ prefix }) => new RedisCache({ url: sentinel.url, prefix }),
      // Nobody answers on the Sentinel port: the master can never be found.
      createUnreachable: async () =>
        new RedisCache({
          url: `redis+sentinel://127.0.0.1:${await freePort()}/mymaster`,
          operationTimeoutMs: 1500,
        }),
      supports: SUPPORTS,
    });

    it('takes the database from ?db= and the prefix from the #fragment', async () => {
      const master = localHandle(sentinel).info.master as HostPort;
      const prefix = randomPrefix();
      const cache = connector({ url: `${sentinel.url}?db=2#${encodeURIComponent(prefix)}` });
      const db2 = inspector(`redis://${master.host}:${master.port}/2`);
      const db0 = inspector(`redis://${master.host}:${master.port}/0`);
      try {
        await cache.set('placed', { where: 'db2' });
        expect<unknown>(await cache.get('placed')).toEqual({ where: 'db2' });
        expect<unknown>(await db2.exists(`${prefix}placed`)).toBe(1);
        expect<unknown>(await db0.exists(`${prefix}placed`)).toBe(0);
      } finally {
        await cache.close();
        db2.disconnect();
        db0.disconnect();
      }
    });
  });

  describe('failover (master, replica and two sentinels)', () => {
    const sentinel = useService('redis-sentinel', { replica: true });

    it('master SIGKILLed during a stream of operations: every operation settles, the sentinels promote the replica and the same connector recovers by itself', async () => {
      const handle = localHandle(sentinel);
      const masterNode = handle.nodes[0]!;
      const replica = handle.info.replica as HostPort;
      const sentinels = handle.info.sentinels as HostPort[];
      expect<unknown>(masterNode.port).toBe((handle.info.master as HostPort).port);
      const cache = connector({ url: sentinel.url, prefix: randomPrefix(), operationTimeoutMs: 1000 });
      const onMaster = inspector(`redis://127.0.0.1:${masterNode.port}`);
      let stop = false;
      try {
        await cache.whenReady();
        await cache.set('before', 'kept');
        // Replication is asynchronous: make sure the replica has the record before the master dies.
        expect<unknown>(await onMaster.wait(1, 5000)).toBe(1);
        onMaster.disconnect();

        const events: string[] = [];
        cache.on('error', (err: ConnectorError) => events.push(`error ${err.code}`));
        cache.on('ready', () => events.push('ready'));
        // Outcomes are recorded as operations are issued, so that no rejection goes unhandled.
        const issued: Promise<string>[] = [];
        const stream = (async () => {
          for (let i = 0; !stop; i++) {
            for (let j = 0; j < 5; j++) {
              const key = `stream-${(i * 5 + j) % 50}`;
              issued.push(...outcomesOf([cache.set(key, i), cache.get(key), cache.headBulk([key, 'other'])]));
            }
            await sleep(10);
          }
        })();
        await sleep(200);
        const lost = next(cache, 'error', 10_000);
        const recovered = next(cache, 'ready', 30_000);
        // Both are awaited below; if the spec fails before that, their timeouts must not go unhandled.
        lost.catch(() => undefined);
        recovered.catch(() => undefined);
        await masterNode.kill('SIGKILL');
        await lost;
        expect<unknown>(cache.isReady).toBe(false);
        await recovered;
        // The connector found the promoted replica; the sentinels agree (bounded: hello messages).
        await sentinelsAgreeOn(sentinels, replica, 10_000);
        await sleep(200);
        stop = true;
        await stream;
        const results = await within(Promise.all(issued), 5000, 'every operation of the stream');
        expectStreamSettled(results, 50);
        expect<unknown>(events[0]).toBe('error BACKEND');
        expect<unknown>(events).toContain('ready');
        expect<unknown>(cache.isReady).toBe(true);

        // Reads and writes go to the new master, which has what was replicated before.
        expect<unknown>(await cache.get('before')).toBe('kept');
        await cache.set('after', 'fine');
        expect<unknown>(await cache.get('after')).toBe('fine');
        const onNewMaster = inspector(`redis://${replica.host}:${replica.port}`);
        try {
          expect<unknown>(await onNewMaster.call('ROLE').then((r) => (r as unknown[])[0])).toBe('master');
          expect<unknown>(await onNewMaster.exists(`${cache.prefix}after`)).toBe(1);
        } finally {
          onNewMaster.disconnect();
        }
      } finally {
        stop = true;
        onMaster.disconnect();
        await cache.close();
      }
    }, 50_000);
  });
});
