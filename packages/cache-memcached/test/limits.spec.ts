import '@connector-kit/test-suite/dist/services';
import { msgpackCodec } from '@connector-kit/connector-core';
import { expectCode, randomPrefix, useService, valueOfEncodedSize } from '@connector-kit/test-suite';
import { Transport } from '@connector-kit/cache-memcached/dist/transport';
import { ServerHealth } from '@connector-kit/cache-memcached/dist/server-health';
import {
  ITEM_HEADER_MAX_BYTES,
  resolveMemcachedOptions,
  ITEM_OVERHEAD_BYTES,
  MEMCACHED_MAX_KEY_BYTES,
  MemcachedCache,
} from '@connector-kit/cache-memcached';
import { RawConnection } from './raw-connection';

const T = 30_000;
const SMALL_ITEM = 64 * 1024;

describe('value size limits against a server started with -I 64k', () => {
  const server = useService('memcached', { maxItemBytes: SMALL_ITEM, local: true });
  let raw: RawConnection;

  beforeAll(async () => {
    const node = server.handle.nodes[0]!;
    raw = await RawConnection.open(node.host, node.port);
  }, T);
  afterAll(() => raw?.close());

  it(
    'maxValueBytes is the item limit minus header, key and memcached overhead',
    async () => {
      const connector = new MemcachedCache({ url: server.url, maxItemBytes: SMALL_ITEM });
      expect(connector.supports.maxValueBytes).toBe(
        SMALL_ITEM - ITEM_OVERHEAD_BYTES - MEMCACHED_MAX_KEY_BYTES - ITEM_HEADER_MAX_BYTES,
      );
      await connector.close();
    },
    T,
  );

  it(
    'a value of exactly maxValueBytes stores under a 250-byte key with the longest header; one byte more is refused before anything is sent',
    async () => {
      const prefix = randomPrefix();
      const connector = new MemcachedCache({ url: server.url, maxItemBytes: SMALL_ITEM, prefix });
      try {
        await connector.whenReady();
        const max = connector.supports.maxValueBytes;
        const key = 'k'.repeat(MEMCACHED_MAX_KEY_BYTES - prefix.length);
        expect(connector.memcachedKey(key).length).toBe(MEMCACHED_MAX_KEY_BYTES);
        const atMax = 'x'.repeat(max - 2); // JSON adds the two quotes
        const version = Number.MIN_SAFE_INTEGER; // the longest version header
        await connector.set(key, atMax, { version });
        expect<unknown>(await connector.getEntry(key)).toEqual({ value: atMax, version });
        const stored = await raw.get(prefix + key);
        expect(stored?.length).toBe(ITEM_HEADER_MAX_BYTES + max);

        const before = await raw.stats();
        await expectCode(connector.set(key, atMax + 'y'), 'VALUE_TOO_LARGE');
        await expectCode(
          connector.compareAndSet(key, atMax + 'y', { expectedVersion: version }),
          'VALUE_TOO_LARGE',
        );
        await expectCode(connector.setBulk([{ key: 'other', value: atMax + 'y' }]), 'VALUE_TOO_LARGE');
        const after = await raw.stats();
        expect(after.cmd_set).toBe(before.cmd_set);
        expect(after.cmd_get).toBe(before.cmd_get);
        expect<unknown>(await connector.getEntry(key)).toEqual({ value: atMax, version });
      } finally {
        await connector.close();
      }
    },
    T,
  );

  it(
    'with msgpack (stored as base64 when not text): a value of maxValueBytes round-trips, one more is refused',
    async () => {
      const connector = new MemcachedCache({
        url: server.url,
        maxItemBytes: SMALL_ITEM,
        codec: 'msgpack',
        prefix: randomPrefix(),
      });
      try {
        await connector.whenReady();
        const max = connector.supports.maxValueBytes;
        const key = 'b'.repeat(MEMCACHED_MAX_KEY_BYTES - connector.prefix.length);
        // A one-element array: msgpack starts it with 0x91, which is not valid UTF-8, so base64.
        const atMax = arrayOfEncodedSize(max);
        await connector.set(key, atMax, { version: Number.MIN_SAFE_INTEGER });
        expect<unknown>(await connector.get(key)).toEqual(atMax);
        expect((await raw.get(connector.memcachedKey(key)))?.charAt(0)).toBe('b');
        await expectCode(connector.set(key, arrayOfEncodedSize(max + 1)), 'VALUE_TOO_LARGE');
        // A plain string's msgpack output may be valid UTF-8: then it is stored as text.
        const text = valueOfEncodedSize(msgpackCodec, max);
        await connector.set(key, text);
        expect<unknown>(await connector.get(key)).toBe(text);
        // Small binary msgpack output (non-UTF-8 bytes) round-trips too.
        await connector.set('binary', { n: 255, f: 1.5, list: [true, null, -1] });
        expect<unknown>(await connector.get('binary')).toEqual({ n: 255, f: 1.5, list: [true, null, -1] });
      } finally {
        await connector.close();
      }
    },
    T,
  );

  it(
    'a SERVER_ERROR reply fails only its request: the connection and the server stay in use',
    async () => {
      // Below the connector, where nothing stops an oversized item: the server answers
      // "SERVER_ERROR object too large for cache", which the client reports as a broken connection.
      const settings = resolveMemcachedOptions({ url: server.url });
      const downs: string[] = [];
      const health = new ServerHealth(
        settings.servers,
        { failures: 1, retryMs: 1000 },
        {
          probe: () => Promise.resolve(),
          onDown: (s) => downs.push(s),
          onUp: () => undefined,
        },
      );
      const transport = new Transport(settings, health, 2000);
      health.start(new Map());
      const target = settings.servers[0]!;
      try {
        const data = 'x'.repeat(SMALL_ITEM * 2);
        const outcome = await transport.send(target, 'set', `set too-big 0 0 ${data.length}\r\n${data}`).then(
          () => null,
          (err: unknown) => err as Error,
        );
        expect(outcome?.message).toContain('SERVER_ERROR');
        expect(health.downError(target)).toBeNull();
        expect(downs).toEqual([]);
        expect(await transport.send(target, 'set', 'set fine 0 0 2\r\nok')).toBe(true);
        expect(await transport.send(target, 'get', 'get fine')).toBe('ok');
      } finally {
        health.close();
        transport.close();
      }
    },
    T,
  );

  it(
    'maxItemBytes larger than the server accepts fails with CONFIG naming it, instead of failing later',
    async () => {
      const connector = new MemcachedCache({ url: server.url, operationTimeoutMs: 2000 });
      const errors: unknown[] = [];
      connector.on('error', (err) => errors.push(err));
      try {
        const err = await expectCode(connector.whenReady(), 'CONFIG');
        expect(err.message).toContain('maxItemBytes');
        expect(err.message).toContain(String(SMALL_ITEM));
        await expectCode(connector.get('x'), 'CONFIG');
        expect(errors.length).toBe(1);
      } finally {
        await connector.close();
      }
    },
    T,
  );
});

/** `[string]` whose msgpack encoding is exactly `bytes` long. */
function arrayOfEncodedSize(bytes: number): string[] {
  for (let length = bytes; length >= bytes - 8; length--) {
    const candidate = ['x'.repeat(length)];
    if (msgpackCodec.encode(candidate).byteLength === bytes) return candidate;
  }
  throw new Error(`no [string] encodes to exactly ${bytes} bytes`);
}
