import '@connector-kit/test-suite/dist/services';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { randomPrefix, useService } from '@connector-kit/test-suite';
import {
  HASH_MARKER,
  KeyEncoder,
  MEMCACHED_MAX_KEY_BYTES,
  MemcachedCache,
} from '@connector-kit/cache-memcached';
import { openRawConnections, useConnectorAndRawConnection, type RawConnection } from './raw-connection';

const T = 20_000;

/** What memcached accepts as a key: 1–250 bytes, no space or control characters. */
const PROTOCOL_SAFE = /^[\x21-\x7e]{1,250}$/;

describe('KeyEncoder', () => {
  const encoder = new KeyEncoder('app:');

  it('keeps short printable ASCII keys readable', () => {
    expect(encoder.encode('app:user/42')).toBe('app:user/42');
    expect(encoder.encode('app:' + 'k'.repeat(246))).toBe('app:' + 'k'.repeat(246));
  });

  it('hashes keys with spaces, control characters, non-ASCII, the marker, or over 250 bytes', () => {
    for (const key of [
      'app:with space',
      'app:line\nbreak',
      'app:\r\nflush_all\r\n',
      'app:tab\t',
      'app:nul\u0000',
      'app:del\u007f',
      'app:ключ',
      'app:😀',
      'app:tilde~inside',
      'app:' + 'k'.repeat(247),
    ]) {
      const encoded = encoder.encode(key);
      expect(encoded)
        .withContext(JSON.stringify(key))
        .toMatch(/^app:~[A-Za-z0-9_-]{43}$/);
    }
  });

  it('hashes the keys the memcached client cannot return ("cas", "__proto__")', () => {
    const bare = new KeyEncoder('');
    expect(bare.encode('cas')).toMatch(/^~[A-Za-z0-9_-]{43}$/);
    expect(bare.encode('__proto__')).toMatch(/^~[A-Za-z0-9_-]{43}$/);
    expect(bare.encode('casx')).toBe('casx');
  });

  it('drops an unreadable or very long prefix from the hashed form, staying within 250 bytes', () => {
    expect(new KeyEncoder('a b:').encode('a b:x y')).toMatch(/^~[A-Za-z0-9_-]{43}$/);
    const long = 'p'.repeat(220);
    expect(new KeyEncoder(long).encode(long + ' x')).toMatch(/^~[A-Za-z0-9_-]{43}$/);
  });

  it('a readable key that looks like a hashed one is hashed itself, so the two cannot meet', () => {
    const hashed = encoder.encode('app:with space');
    expect(hashed).toContain(HASH_MARKER);
    // A caller choosing exactly that string as a key gets a different memcached key.
    expect(encoder.encode(hashed)).not.toBe(hashed);
    expect(encoder.encode(hashed)).toMatch(/^app:~[A-Za-z0-9_-]{43}$/);
  });

  it('is deterministic, protocol-safe and collision-free on arbitrary Unicode keys (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 300 }),
            fc.string({ unit: 'binary', maxLength: 300 }),
            fc.string({ maxLength: 300 }),
          ),
          {
            minLength: 2,
            maxLength: 40,
          },
        ),
        (keys) => {
          const seen = new Map<string, string>();
          for (const key of keys) {
            const full = 'app:' + key;
            const encoded = encoder.encode(full);
            if (!PROTOCOL_SAFE.test(encoded)) return false;
            if (Buffer.byteLength(encoded) > MEMCACHED_MAX_KEY_BYTES) return false;
            if (encoder.encode(full) !== encoded) return false;
            const other = seen.get(encoded);
            if (other !== undefined && other !== full) return false;
            seen.set(encoded, full);
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('key safety on a real memcached (checked over a second raw connection)', () => {
  const server = useService('memcached');
  let connector: MemcachedCache;
  let raw: RawConnection;
  useConnectorAndRawConnection(
    () => server.url,
    (c, r) => {
      connector = c;
      raw = r;
    },
    T,
  );

  const INJECTIONS = [
    '\r\nflush_all\r\n',
    'x\r\nflush_all',
    'x\nflush_all\n',
    'a flush_all',
    'k 0 0 1\r\nx\r\nflush_all',
    'k\r\ndelete sentinel\r\n',
    'get sentinel\r\n',
    '\u0000flush_all',
  ];

  it(
    'keys carrying protocol commands store and read back as data, and touch nothing else',
    async () => {
      const sentinel = `sentinel-${randomBytes(4).toString('hex')}`;
      expect(await raw.set(sentinel, 'still here')).toBe('STORED');
      const before = await raw.stats();
      for (const [i, key] of INJECTIONS.entries()) {
        await connector.set(key, { i });
        expect<unknown>(await connector.get(key))
          .withContext(JSON.stringify(key))
          .toEqual({ i });
        // Stored under the hashed name, with our header, as one item.
        const stored = await raw.get(connector.memcachedKey(key));
        expect(stored).withContext(JSON.stringify(key)).toBe(`t0:{"i":${i}}`);
      }
      for (const key of INJECTIONS) await connector.delete(key);
      for (const key of INJECTIONS) expect<unknown>(await connector.get(key)).toBeNull();
      const after = await raw.stats();
      expect(await raw.get(sentinel)).toBe('still here');
      expect(after.cmd_flush).toBe(before.cmd_flush);
      // Only our own sets reached the server: one per injection key, nothing smuggled in.
      expect(Number(after.cmd_set) - Number(before.cmd_set)).toBe(INJECTIONS.length);
      expect(Number(after.curr_items)).toBe(Number(before.curr_items));
    },
    T,
  );

  it(
    'a 250-byte key stays readable on the server; 251 bytes and more are hashed and round-trip',
    async () => {
      const prefix = connector.prefix;
      const at250 = 'r'.repeat(MEMCACHED_MAX_KEY_BYTES - prefix.length);
      await connector.set(at250, 'readable');
      expect(connector.memcachedKey(at250)).toBe(prefix + at250);
      expect(await raw.get(prefix + at250)).toBe('t0:"readable"');
      const long = [at250 + 'x', 'l'.repeat(1000), 'l'.repeat(999) + 'm', 'é'.repeat(2000)];
      for (const key of long) {
        const memKey = connector.memcachedKey(key);
        expect(memKey.length).toBeLessThanOrEqual(MEMCACHED_MAX_KEY_BYTES);
        await connector.set(key, key.length);
      }
      // Keys differing only in their last character stay distinct.
      for (const key of long) expect<unknown>(await connector.get(key)).toBe(key.length);
      expect(new Set(long.map((k) => connector.memcachedKey(k))).size).toBe(long.length);
      expect<unknown>(await connector.get(at250)).toBe('readable');
    },
    T,
  );

  it(
    'unicode and whitespace keys are distinct from their look-alikes',
    async () => {
      const keys = ['a b', 'a_b', 'a\tb', 'a\nb', 'a\u00a0b', 'ab', 'é', 'e\u0301', '日本', ' ', '  ', '\t'];
      await Promise.all(keys.map((key, i) => connector.set(key, i)));
      const back = await connector.getBulk(keys);
      expect<unknown>(back).toEqual(keys.map((_, i) => i));
      for (const key of keys) expect(PROTOCOL_SAFE.test(connector.memcachedKey(key))).toBe(true);
    },
    T,
  );

  it(
    "a kit key equal to another key's hashed form is a different entry",
    async () => {
      const original = 'has space';
      await connector.set(original, 'original');
      const lookalike = connector.memcachedKey(original).slice(connector.prefix.length);
      await connector.set(lookalike, 'look-alike');
      expect<unknown>(await connector.get(original)).toBe('original');
      expect<unknown>(await connector.get(lookalike)).toBe('look-alike');
    },
    T,
  );
});

describe('key safety on a pool of three (every server checked)', () => {
  const pool = useService('memcached-pool');

  it(
    'an injection key flushes no server of the pool',
    async () => {
      const connector = new MemcachedCache({ url: pool.url, prefix: randomPrefix() });
      const raws = await openRawConnections(pool.url);
      try {
        await connector.whenReady();
        await Promise.all(raws.map((r, i) => r.set(`sentinel-${i}`, 'kept')));
        const before = await Promise.all(raws.map((r) => r.stats()));
        const keys = Array.from({ length: 30 }, (_, i) => `k${i}\r\nflush_all\r\n`);
        await Promise.all(keys.map((k, i) => connector.set(k, i)));
        expect<unknown>(await connector.getBulk(keys)).toEqual(keys.map((_, i) => i));
        const after = await Promise.all(raws.map((r) => r.stats()));
        for (const [i, r] of raws.entries()) {
          expect(await r.get(`sentinel-${i}`)).toBe('kept');
          expect(after[i]!.cmd_flush).toBe(before[i]!.cmd_flush);
        }
        // The keys really are spread over the servers.
        expect(new Set(keys.map((k) => connector.serverFor(k))).size).toBe(raws.length);
      } finally {
        for (const r of raws) r.close();
        await connector.close();
      }
    },
    T,
  );
});
