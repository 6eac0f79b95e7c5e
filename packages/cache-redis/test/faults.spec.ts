import * as fs from 'node:fs';
import { ConnectorError } from '@connector-kit/connector-core';
import { DeepstreamPlugin, RedisCache } from '@connector-kit/cache-redis';
import {
  expectCode,
  randomPrefix,
  useService,
  withUnhandledRejectionWatch,
  type ServiceFixture,
} from '@connector-kit/test-suite';
import type { ServiceNode } from '@connector-kit/test-suite';
import { connector, outcomesOf, sleep, unreachableUrl, within, expectStreamSettled } from './support';

/** The one local process behind a fixture; external servers (REDIS_URL) cannot be killed. */
function nodeOf(fixture: ServiceFixture): ServiceNode {
  const node = fixture.handle.nodes[0];
  if (fixture.handle.external || !node)
    pending('fault tests need a redis-server started by the launcher (REDIS_URL is set)');
  return node!;
}

/** Resolves with the next `event` the connector emits, or rejects after `ms`. */
function next(cache: RedisCache, event: 'ready' | 'error', ms: number): Promise<unknown> {
  return within(new Promise((resolve) => cache.once(event, resolve)), ms, `a '${event}' event`);
}

/** Retries `get` until it answers, within `ms` (operations may fail while reconnecting). */
async function eventuallyReads(cache: RedisCache, key: string, ms: number): Promise<unknown> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await cache.get(key);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

describe('cache-redis: faults', () => {
  describe('server killed, frozen and hung', () => {
    const redis = useService('redis');

    it('SIGKILL during a stream of operations: every operation settles; after a restart the same connector recovers and emits ready again', async () => {
      const node = nodeOf(redis);
      const cache = connector({ url: redis.url, prefix: randomPrefix(), operationTimeoutMs: 1000 });
      try {
        await cache.whenReady();
        const events: string[] = [];
        cache.on('error', (err: ConnectorError) => events.push(`error ${err.code}`));
        cache.on('ready', () => events.push('ready'));
        // Outcomes are recorded as operations are issued, so that no rejection goes unhandled.
        const issued: Promise<string>[] = [];
        const track = (...ops: Promise<unknown>[]): void => {
          issued.push(...outcomesOf(ops));
        };
        let stop = false;
        const stream = (async () => {
          for (let i = 0; !stop; i++) {
            for (let j = 0; j < 10; j++) {
              const key = `stream-${(i * 10 + j) % 50}`;
              track(cache.set(key, i), cache.get(key), cache.headBulk([key, 'other']));
            }
            await sleep(5);
          }
        })();
        await sleep(200);
        await node.kill('SIGKILL');
        const lost = next(cache, 'ready', 15_000);
        await sleep(1500); // long enough for operations to wait and fail while it is down
        expect<unknown>(cache.isReady).toBe(false);
        await node.restart();
        await lost;
        await sleep(200);
        stop = true;
        await stream;
        const results = await within(Promise.all(issued), 5000, 'every operation of the stream');
        expectStreamSettled(results, 100);
        expect<unknown>(events[0]).toBe('error BACKEND');
        expect<unknown>(events).toContain('ready');
        expect<unknown>(cache.isReady).toBe(true);
        await cache.set('after-restart', 'fine');
        expect<unknown>(await cache.get('after-restart')).toBe('fine');
      } finally {
        await cache.close();
      }
    }, 40_000);

    it('while the server is down, operations fail with NOT_READY within their timeout instead of queueing', async () => {
      const node = nodeOf(redis);
      const cache = connector({ url: redis.url, prefix: randomPrefix(), operationTimeoutMs: 700 });
      try {
        await cache.whenReady();
        await node.kill('SIGKILL');
        await within(
          new Promise<void>((resolve) => (cache.isReady ? cache.once('error', () => resolve()) : resolve())),
          5000,
          'the connector to notice',
        );
        const started = Date.now();
        const err = await expectCode(cache.get('x'), 'NOT_READY');
        expect<unknown>(Date.now() - started).toBeLessThan(700 + 1000);
        expect<unknown>(err.message).toMatch(/ECONNREFUSED|lost/);
      } finally {
        await node.restart();
        await cache.close();
      }
    }, 30_000);

    it('SIGSTOP: a get calls back with TIMEOUT within its timeout (callback and plugin API), then succeeds after SIGCONT', async () => {
      const node = nodeOf(redis);
      const prefix = randomPrefix();
      const cache = connector({ url: redis.url, prefix, operationTimeoutMs: 600 });
      const plugin = new DeepstreamPlugin({ url: redis.url, prefix, operationTimeoutMs: 600 });
      plugin.connector.on('error', () => undefined);
      try {
        await Promise.all([cache.whenReady(), plugin.whenReady()]);
        await cache.set('frozen', 'value');
        node.pause();
        try {
          const started = Date.now();
          const viaCallback = await within(
            new Promise<ConnectorError | null>((resolve) => cache.get('frozen', (err) => resolve(err))),
            3000,
            'the get callback',
          );
          expect<unknown>(viaCallback?.code).toBe('TIMEOUT');
          expect<unknown>(Date.now() - started).toBeLessThan(600 + 1000);
          const viaPlugin = await within(
            new Promise<unknown[]>((resolve) =>
              plugin.get('frozen', (err, version, data) => resolve([err, version, data])),
            ),
            3000,
            'the plugin get callback',
          );
          expect<unknown>(viaPlugin[0]).toMatch(/^TIMEOUT: /);
          expect<unknown>(viaPlugin[1]).toBe(-1);
        } finally {
          node.resume();
        }
        expect<unknown>(await eventuallyReads(cache, 'frozen', 5000)).toBe('value');
        const [err, , data] = await new Promise<unknown[]>((resolve) =>
          plugin.get('frozen', (...args) => resolve(args)),
        );
        expect<unknown>([err, data]).toEqual([null, 'value']);
      } finally {
        node.resume();
        await Promise.all([cache.close(), plugin.close()]);
      }
    }, 30_000);

    it('a server that stops answering is dropped after stallTimeoutMs: "error", operations fail fast, "ready" again after SIGCONT', async () => {
      const node = nodeOf(redis);
      const cache = connector({
        url: redis.url,
        prefix: randomPrefix(),
        operationTimeoutMs: 500,
        stallTimeoutMs: 800,
      });
      try {
        await cache.whenReady();
        await cache.set('stall', 1);
        node.pause();
        let errorEvent: ConnectorError;
        let readyAgain: Promise<unknown>;
        try {
          const error = next(cache, 'error', 5000);
          await expectCode(cache.get('stall'), 'TIMEOUT');
          errorEvent = (await error) as ConnectorError;
          expect<unknown>(cache.isReady).toBe(false);
          // Not sent to the hung server any more: they wait for readiness and fail with NOT_READY.
          await expectCode(cache.get('stall'), 'NOT_READY');
          readyAgain = next(cache, 'ready', 10_000);
        } finally {
          node.resume();
        }
        expect<unknown>(errorEvent.code).toBe('TIMEOUT');
        expect<unknown>(errorEvent.message).toContain('has not answered for 800 ms');
        await readyAgain;
        expect<unknown>(await eventuallyReads(cache, 'stall', 5000)).toBe(1);
      } finally {
        node.resume();
        await cache.close();
      }
    }, 30_000);
  });

  describe('authentication', () => {
    const password = 'pw-Sh0uld-n3ver-show';
    const redis = useService('redis', { password });

    const wrong: [string, (port: number) => string][] = [
      ['no password', (port) => `redis://127.0.0.1:${port}`],
      ['a wrong password', (port) => `redis://:not-${password}@127.0.0.1:${port}`],
      ['a wrong user', (port) => `redis://mallory:${password}@127.0.0.1:${port}`],
    ];
    for (const [label, urlFor] of wrong) {
      it(`with ${label}: CONFIG errors with a readable message, fast, no password in it, no reconnecting`, async () => {
        const node = nodeOf(redis);
        const errors: ConnectorError[] = [];
        let cache: RedisCache | null = null;
        const unhandled = await withUnhandledRejectionWatch(async () => {
          cache = new RedisCache({ url: urlFor(node.port), operationTimeoutMs: 3000 });
          cache.on('error', (err: ConnectorError) => errors.push(err));
          const started = Date.now();
          const err = await expectCode(cache.get('x'), 'CONFIG');
          expect<unknown>(Date.now() - started).toBeLessThan(2000);
          expect<unknown>(err.message).toMatch(/rejected the credentials: (NOAUTH|WRONGPASS)/);
          await expectCode(cache.whenReady(), 'CONFIG');
          const viaCallback = await new Promise<ConnectorError | null>((resolve) =>
            cache!.set('x', 1, (e) => resolve(e)),
          );
          expect<unknown>(viaCallback?.code).toBe('CONFIG');
          await sleep(300);
          expect<unknown>(cache.client?.status).toBe('end');
          await cache.close();
        });
        expect<unknown>(unhandled).toEqual([]);
        expect<unknown>(errors.length).toBeGreaterThan(0);
        for (const err of errors) {
          expect<unknown>(err.code).toBe('CONFIG');
          expect<unknown>(`${err.message} ${JSON.stringify(err.details)} ${String(err.stack)}`).not.toContain(
            password,
          );
        }
      }, 20_000);
    }

    it('with the right password (URL or option) it works', async () => {
      const node = nodeOf(redis);
      for (const cache of [
        connector({ url: redis.url, prefix: randomPrefix() }),
        connector({ url: `redis://127.0.0.1:${node.port}`, password, prefix: randomPrefix() }),
      ]) {
        try {
          await cache.set('authed', true);
          expect<unknown>(await cache.get('authed')).toBe(true);
        } finally {
          await cache.close();
        }
      }
    });
  });

  it('wrong port: NOT_READY within the timeout, an "error" naming the refused connection, nothing unhandled', async () => {
    const errors: ConnectorError[] = [];
    const unhandled = await withUnhandledRejectionWatch(async () => {
      const cache = new RedisCache({ url: await unreachableUrl(), operationTimeoutMs: 800 });
      cache.on('error', (err: ConnectorError) => errors.push(err));
      try {
        const started = Date.now();
        const err = await expectCode(cache.set('x', 1), 'NOT_READY');
        expect<unknown>(Date.now() - started).toBeLessThan(800 + 1000);
        expect<unknown>(err.message).toContain('ECONNREFUSED');
        await within(
          new Promise<void>((resolve) =>
            errors.length > 0 ? resolve() : cache.once('error', () => resolve()),
          ),
          5000,
          "an 'error' event",
        );
      } finally {
        await cache.close();
      }
    });
    expect<unknown>(unhandled).toEqual([]);
    expect<unknown>(errors[0]?.code).toBe('BACKEND');
    expect<unknown>(errors[0]?.message).toContain('ECONNREFUSED');
  }, 20_000);

  describe('TLS with a certificate authority made for the test', () => {
    const redis = useService('redis', { tls: true });

    it('connects with rediss:// and ?ca=<file>, and with the tls option', async () => {
      const node = nodeOf(redis);
      const caPath = redis.handle.info.caPath as string;
      expect<unknown>(redis.url.startsWith('rediss://')).toBe(true);
      for (const cache of [
        connector({ url: `${redis.url}?ca=${encodeURIComponent(caPath)}`, prefix: randomPrefix() }),
        connector({
          url: `redis://127.0.0.1:${node.port}`,
          tls: { ca: fs.readFileSync(caPath) },
          prefix: randomPrefix(),
        }),
      ]) {
        try {
          await cache.set('secure', { tls: true }, { version: 3 });
          expect<unknown>(await cache.getEntry('secure')).toEqual({ value: { tls: true }, version: 3 });
        } finally {
          await cache.close();
        }
      }
    });

    it('refuses a server certificate it cannot verify, with a clear error instead of a hang', async () => {
      nodeOf(redis);
      const cache = connector({ url: redis.url, operationTimeoutMs: 1500 });
      try {
        const err = await expectCode(cache.get('x'), 'NOT_READY');
        expect<unknown>(err.message).toMatch(/certificate/i);
      } finally {
        await cache.close();
      }
    });

    it('plain redis:// against the TLS port does not hang', async () => {
      const node = nodeOf(redis);
      const cache = connector({
        url: `redis://127.0.0.1:${node.port}`,
        operationTimeoutMs: 1500,
        connectTimeoutMs: 1000,
      });
      try {
        const started = Date.now();
        const outcome = await cache.get('x').then(
          () => 'answered',
          (err: ConnectorError) => err.code,
        );
        expect<unknown>(['NOT_READY', 'BACKEND', 'TIMEOUT']).toContain(outcome);
        expect<unknown>(Date.now() - started).toBeLessThan(2500);
      } finally {
        await cache.close();
      }
    });
  });
});
