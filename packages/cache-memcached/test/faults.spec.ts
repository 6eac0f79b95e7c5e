import '@connector-kit/test-suite/dist/services';
import { ConnectorError } from '@connector-kit/connector-core';
import {
  eventually,
  expectCode,
  randomPrefix,
  sleep,
  useService,
  withUnhandledRejectionWatch,
  type ServiceFixture,
} from '@connector-kit/test-suite';
import { MemcachedCache, type MemcachedCacheOptions, type ServerEvent } from '@connector-kit/cache-memcached';

const T = 40_000;

interface Outcome {
  key: string;
  ok: boolean;
  startedAt: number;
  code?: string;
}

/** A connector plus everything it reports, for one test. */
function watched(url: string, options: MemcachedCacheOptions = {}) {
  const connector = new MemcachedCache({
    url,
    prefix: randomPrefix(),
    retry: 200,
    operationTimeoutMs: 1500,
    ...options,
  });
  const errors: ConnectorError[] = [];
  const downs: ServerEvent[] = [];
  const ups: ServerEvent[] = [];
  let readyEvents = 0;
  connector.on('error', (err: ConnectorError) => errors.push(err));
  connector.on('serverDown', (event: ServerEvent) => downs.push(event));
  connector.on('serverUp', (event: ServerEvent) => ups.push(event));
  connector.on('ready', () => readyEvents++);
  return { connector, errors, downs, ups, readyEvents: () => readyEvents };
}

/** Runs `workers` closed loops of set/get over `keys` until `stop()`; every outcome is recorded. */
function stream(connector: MemcachedCache, keys: string[], workers: number) {
  let stopped = false;
  let issued = 0;
  const outcomes: Outcome[] = [];
  const loop = async (w: number): Promise<void> => {
    for (let i = w; !stopped; i += workers) {
      const key = keys[(i * 7919) % keys.length]!;
      const startedAt = Date.now();
      issued++;
      try {
        if (i % 2 === 0) await connector.set(key, key);
        else await connector.get(key);
        outcomes.push({ key, ok: true, startedAt });
      } catch (err) {
        outcomes.push({ key, ok: false, startedAt, code: (err as ConnectorError).code });
      }
    }
  };
  const running = Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  return {
    outcomes,
    issued: () => issued,
    /** Stops issuing and waits (bounded) until every issued operation has settled. */
    async stop(deadlineMs: number): Promise<void> {
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`operations still unsettled after ${deadlineMs} ms`)),
          deadlineMs,
        );
      });
      try {
        await Promise.race([running, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function nodeAddress(fixture: ServiceFixture, index: number): string {
  const node = fixture.handle.nodes[index]!;
  return `${node.host}:${node.port}`;
}

describe('faults in a pool of three', () => {
  const pool = useService('memcached-pool', { local: true });

  afterEach(async () => {
    // Leave the pool whole for the next test, whatever happened.
    for (const node of pool.handle.nodes) {
      node.resume();
      if (!node.running) await node.restart();
    }
  }, T);

  it(
    'SIGKILL of one server during a stream: every operation settles, keys on the other two keep working, restart recovers',
    async () => {
      const w = watched(pool.url);
      const { connector } = w;
      const unhandled = await withUnhandledRejectionWatch(async () => {
        await connector.whenReady();
        const victim = nodeAddress(pool, 0);
        const keys = Array.from({ length: 300 }, (_, i) => `stream-${i}`);
        const serverOf = new Map(keys.map((k) => [k, connector.serverFor(k)]));
        expect(new Set(serverOf.values()).size).toBe(3);
        await connector.setBulk(keys.map((key) => ({ key, value: key })));

        const load = stream(connector, keys, 32);
        await sleep(300);
        const killedAt = Date.now();
        await pool.handle.nodes[0]!.kill('SIGKILL');
        await sleep(1000);
        await load.stop(10_000);

        expect(load.outcomes.length).toBe(load.issued());
        const failed = load.outcomes.filter((o) => !o.ok);
        const survivorsAfterKill = load.outcomes.filter(
          (o) => serverOf.get(o.key) !== victim && o.startedAt > killedAt,
        );
        expect(failed.length).toBeGreaterThan(0);
        expect(failed.filter((o) => serverOf.get(o.key) !== victim)).toEqual([]);
        for (const o of failed) expect(['BACKEND', 'TIMEOUT']).toContain(o.code!);
        expect(survivorsAfterKill.length).toBeGreaterThan(100);
        expect(survivorsAfterKill.every((o) => o.ok)).toBe(true);

        expect(w.downs.map((d) => d.server)).toEqual([victim]);
        expect(w.errors.some((e) => e.message.includes(victim))).toBe(true);
        expect(connector.isReady).toBe(true);

        // While it is down, its keys fail at once with a clear error.
        const victimKey = keys.find((k) => serverOf.get(k) === victim)!;
        const started = Date.now();
        const err = await expectCode(connector.get(victimKey), 'BACKEND');
        expect(Date.now() - started).toBeLessThan(200);
        expect(err.message).toContain(`${victim} is down`);

        await pool.handle.nodes[0]!.restart();
        await eventually(() => w.ups.length > 0, 10_000, 'serverUp');
        expect(w.ups.map((u) => u.server)).toEqual([victim]);
        await connector.set(victimKey, 'back');
        expect<unknown>(await connector.get(victimKey)).toBe('back');
      });
      await connector.close();
      expect(unhandled).toEqual([]);
    },
    T,
  );

  it(
    'a hung server (SIGSTOP): its operations time out, is marked down, the others are unaffected; it recovers on SIGCONT',
    async () => {
      const w = watched(pool.url, { operationTimeoutMs: 800 });
      const { connector } = w;
      await connector.whenReady();
      const hung = nodeAddress(pool, 1);
      const keys = Array.from({ length: 60 }, (_, i) => `hang-${i}`);
      await connector.setBulk(keys.map((key) => ({ key, value: key })));
      const onHung = keys.filter((k) => connector.serverFor(k) === hung);
      const others = keys.filter((k) => connector.serverFor(k) !== hung);

      pool.handle.nodes[1]!.pause();
      const started = Date.now();
      const results = await Promise.allSettled(onHung.map((k) => connector.get(k)));
      expect(Date.now() - started).toBeLessThan(3000);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect(['TIMEOUT', 'BACKEND']).toContain((r as PromiseRejectedResult).reason.code);
      }
      expect<unknown>(await connector.getBulk(others)).toEqual(others);
      await eventually(() => w.downs.length > 0, 5000, 'serverDown');
      expect(w.downs[0]!.server).toBe(hung);

      pool.handle.nodes[1]!.resume();
      await eventually(() => w.ups.length > 0, 10_000, 'serverUp');
      expect<unknown>(await connector.get(onHung[0]!)).toBe(onHung[0]!);
      await connector.close();
    },
    T,
  );

  it(
    "with remove: true a dead server's keys fail over to the live ones, and move back when it returns",
    async () => {
      const w = watched(pool.url, { remove: true });
      const { connector } = w;
      await connector.whenReady();
      const victim = nodeAddress(pool, 2);
      const keys = Array.from({ length: 60 }, (_, i) => `failover-${i}`);
      const onVictim = keys.filter((k) => connector.serverFor(k) === victim);
      expect(onVictim.length).toBeGreaterThan(0);

      await pool.handle.nodes[2]!.kill('SIGKILL');
      // The first requests notice the failure; then the ring no longer holds the server.
      await Promise.allSettled(onVictim.map((k) => connector.get(k)));
      await eventually(() => w.downs.length > 0, 5000, 'serverDown');
      for (const key of onVictim) expect(connector.serverFor(key)).not.toBe(victim);
      await connector.setBulk(onVictim.map((key) => ({ key, value: 'during outage' })));
      expect<unknown>(await connector.getBulk(onVictim)).toEqual(onVictim.map(() => 'during outage'));

      await pool.handle.nodes[2]!.restart();
      await eventually(() => w.ups.length > 0, 10_000, 'serverUp');
      for (const key of onVictim) expect(connector.serverFor(key)).toBe(victim);
      // Fail-back: the restarted server is empty; entries written during the outage are not seen.
      expect<unknown>(await connector.getBulk(onVictim)).toEqual(onVictim.map(() => null));
      await connector.close();
    },
    T,
  );
});

describe('faults on a single server', () => {
  const single = useService('memcached', { local: true });

  afterEach(async () => {
    const node = single.handle.nodes[0]!;
    node.resume();
    if (!node.running) await node.restart();
  }, T);

  it(
    'when every server is down the connector is not ready: operations fail within the timeout; "ready" again after restart',
    async () => {
      const w = watched(single.url, { operationTimeoutMs: 1000 });
      const { connector } = w;
      await connector.whenReady();
      await connector.set('k', 'before');
      await single.handle.nodes[0]!.kill('SIGKILL');

      const started = Date.now();
      const first = await connector.get('k').then(
        () => null,
        (err: unknown) => err as ConnectorError,
      );
      expect(first?.code).toMatch(/^(BACKEND|NOT_READY|TIMEOUT)$/);
      expect(Date.now() - started).toBeLessThan(1500);
      await eventually(() => !connector.isReady, 5000, 'not ready');
      await expectCode(connector.set('k', 'during'), 'NOT_READY');
      expect(w.errors.length).toBeGreaterThan(0);

      await single.handle.nodes[0]!.restart();
      await eventually(() => connector.isReady, 10_000, 'ready again');
      expect(w.readyEvents()).toBe(2);
      await connector.set('k', 'after');
      expect<unknown>(await connector.get('k')).toBe('after');
      await connector.close();
    },
    T,
  );

  it(
    'SIGKILL with a request in flight: the request fails at once, not after the operation timeout',
    async () => {
      const w = watched(single.url, { operationTimeoutMs: 5000 });
      const { connector } = w;
      await connector.whenReady();
      await connector.set('k', 1);
      const node = single.handle.nodes[0]!;
      node.pause();
      const pending = connector.get('k').then(
        () => null,
        (err: unknown) => err as ConnectorError,
      );
      await sleep(100);
      const killedAt = Date.now();
      await node.kill('SIGKILL');
      const err = await pending;
      expect(err?.code).toBe('BACKEND');
      expect(Date.now() - killedAt).toBeLessThan(1000);
      await connector.close();
    },
    T,
  );

  it(
    'requests queued on a connection that is closed under them (idle timeout on a hung server) fail when it closes',
    async () => {
      const w = watched(single.url, { operationTimeoutMs: 5000, idle: 300 });
      const { connector } = w;
      await connector.whenReady();
      await connector.set('k', 1);
      single.handle.nodes[0]!.pause();
      const started = Date.now();
      const err = await connector.get('k').then(
        () => null,
        (e: unknown) => e as ConnectorError,
      );
      expect(err?.code).toBe('BACKEND');
      expect(err?.message).toContain('closed before the reply');
      expect(Date.now() - started).toBeLessThan(2000);
      single.handle.nodes[0]!.resume();
      await connector.close();
    },
    T,
  );

  it(
    'a burst larger than poolSize while every connection is being (re)opened waits for them instead of failing',
    async () => {
      // idle: the pooled connection closes after 100 ms without traffic, so the burst finds none.
      const w = watched(single.url, { poolSize: 2, idle: 100 });
      const { connector } = w;
      await connector.whenReady();
      await sleep(400);
      const keys = Array.from({ length: 64 }, (_, i) => `burst-${i}`);
      const outcomes = await Promise.allSettled(keys.map((k, i) => connector.set(k, i)));
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect<unknown>(await connector.getBulk(keys)).toEqual(keys.map((_, i) => i));
      expect(w.downs).toEqual([]);
      await connector.close();
    },
    T,
  );

  it(
    'a connector started while the server is down connects once it is up',
    async () => {
      await single.handle.nodes[0]!.kill('SIGKILL');
      const w = watched(single.url, { operationTimeoutMs: 500 });
      const { connector } = w;
      await expectCode(connector.get('x'), 'NOT_READY');
      await eventually(() => w.errors.length > 0, 5000, "an 'error' event");
      await single.handle.nodes[0]!.restart();
      await eventually(() => connector.isReady, 10_000, 'ready');
      await connector.set('x', 1);
      expect<unknown>(await connector.get('x')).toBe(1);
      await connector.close();
    },
    T,
  );
});

describe('fail-over to a spare server', () => {
  const pool = useService('memcached-pool', { size: 4, local: true });

  it(
    "a spare takes a dead server's keys (and only those) and hands them back when it returns",
    async () => {
      const addresses = pool.handle.nodes.map((_, i) => nodeAddress(pool, i));
      const [first, second, third, spare] = addresses as [string, string, string, string];
      const w = watched(`memcached://${first},${second},${third}`, { failOverServers: [spare] });
      const { connector } = w;
      await connector.whenReady();
      const keys = Array.from({ length: 90 }, (_, i) => `spare-${i}`);
      const before = new Map(keys.map((k) => [k, connector.serverFor(k)]));
      expect(new Set(before.values())).toEqual(new Set([first, second, third]));

      await pool.handle.nodes[0]!.kill('SIGKILL');
      const onFirst = keys.filter((k) => before.get(k) === first);
      await Promise.allSettled(onFirst.map((k) => connector.get(k)));
      await eventually(() => w.downs.length > 0, 5000, 'serverDown');
      expect(connector.failoverState()).toEqual({ [first]: spare, [second]: second, [third]: third });
      for (const key of keys) {
        expect(connector.serverFor(key)).toBe(before.get(key) === first ? spare : before.get(key)!);
      }
      await connector.setBulk(keys.map((key) => ({ key, value: key })));
      expect<unknown>(await connector.getBulk(keys)).toEqual(keys);
      expect(connector.isReady).toBe(true);

      await pool.handle.nodes[0]!.restart();
      await eventually(() => w.ups.length > 0, 10_000, 'serverUp');
      expect(connector.failoverState()).toEqual({ [first]: first, [second]: second, [third]: third });
      for (const key of keys) expect(connector.serverFor(key)).toBe(before.get(key)!);
      // Keys of the other servers were never moved; the returned server starts empty.
      const back = await connector.getBulk(keys);
      keys.forEach((key, i) => expect<unknown>(back[i]).toBe(before.get(key) === first ? null : key));
      await connector.close();
    },
    T,
  );
});
