import '@connector-kit/test-suite/dist/services';
import { ConnectorError } from '@connector-kit/connector-core';
import { expectCode, sleep, useService } from '@connector-kit/test-suite';
import {
  MAX_ABSOLUTE_EXPTIME_S,
  MAX_RELATIVE_EXPTIME_S,
  MemcachedCache,
  toExptime,
} from '@connector-kit/cache-memcached';
import { useConnectorAndRawConnection, type RawConnection } from './raw-connection';

const T = 20_000;
const DAY_MS = 24 * 3600 * 1000;

describe('toExptime', () => {
  const now = Date.UTC(2030, 0, 1);

  it('0 means no expiry', () => {
    expect(toExptime(0, now)).toBe(0);
  });

  it('rounds up to whole seconds plus one clock tick, so an entry never expires early', () => {
    expect(toExptime(1, now)).toBe(2);
    expect(toExptime(999, now)).toBe(2);
    expect(toExptime(1000, now)).toBe(2);
    expect(toExptime(1001, now)).toBe(3);
    expect(toExptime(60_000, now)).toBe(61);
  });

  it('stays relative up to 30 days and becomes an absolute unix time beyond', () => {
    const lastRelativeMs = (MAX_RELATIVE_EXPTIME_S - 1) * 1000;
    expect(toExptime(lastRelativeMs, now)).toBe(MAX_RELATIVE_EXPTIME_S);
    const firstAbsoluteMs = lastRelativeMs + 1;
    expect(toExptime(firstAbsoluteMs, now)).toBe(Math.ceil((now + firstAbsoluteMs) / 1000) + 1);
    expect(toExptime(40 * DAY_MS, now)).toBe(now / 1000 + 40 * 24 * 3600 + 1);
  });

  it('rejects a TTL ending after 2038-01-19 (memcached stores a signed 32-bit time) with INVALID_OPTION', () => {
    const limitMs = MAX_ABSOLUTE_EXPTIME_S * 1000;
    expect(toExptime(limitMs - now - 2000, now)).toBeLessThanOrEqual(MAX_ABSOLUTE_EXPTIME_S);
    for (const ttl of [limitMs - now, 50 * 365 * DAY_MS, Number.MAX_SAFE_INTEGER]) {
      let thrown: unknown;
      try {
        toExptime(ttl, now);
      } catch (err) {
        thrown = err;
      }
      expect(thrown instanceof ConnectorError && thrown.code === 'INVALID_OPTION')
        .withContext(String(ttl))
        .toBe(true);
      expect((thrown as Error).message).toContain('2038');
    }
  });

  it('rejects nonsense', () => {
    for (const ttl of [-1, NaN, Infinity]) expect(() => toExptime(ttl, now)).toThrowError(/ttl must be/);
  });
});

describe('TTL on a real memcached (remaining TTL read over a raw connection)', () => {
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

  it(
    'a 40-day TTL is sent as an absolute time: the entry stays, with about 40 days left',
    async () => {
      await connector.set('forty-days', 'long', { ttl: 40 * DAY_MS });
      expect<unknown>(await connector.get('forty-days')).toBe('long');
      const left = await raw.ttl(connector.memcachedKey('forty-days'));
      expect(left).not.toBeNull();
      // Absolute times are compared with the server's clock: allow a few seconds of skew.
      expect(Math.abs(left! - 40 * 24 * 3600)).toBeLessThan(5);
    },
    T,
  );

  it(
    'a TTL just under 30 days stays relative',
    async () => {
      await connector.set('month', 1, { ttl: 29 * DAY_MS });
      const left = await raw.ttl(connector.memcachedKey('month'));
      expect(left).toBeGreaterThanOrEqual(29 * 24 * 3600);
      expect(left).toBeLessThanOrEqual(29 * 24 * 3600 + 1);
    },
    T,
  );

  it(
    'no TTL means no expiry; a TTL past 2038 is refused and nothing is written',
    async () => {
      await connector.set('forever', 1);
      expect(await raw.ttl(connector.memcachedKey('forever'))).toBe(-1);
      const err = await expectCode(
        connector.set('too-far', 1, { ttl: 100 * 365 * DAY_MS }),
        'INVALID_OPTION',
      );
      expect(err.message).toContain('2038');
      expect(await raw.get(connector.memcachedKey('too-far'))).toBeNull();
    },
    T,
  );

  it(
    'a sub-second TTL lives at least its TTL and is gone after two seconds',
    async () => {
      await connector.set('blink', 'x', { ttl: 300 });
      expect(await raw.ttl(connector.memcachedKey('blink'))).toBeGreaterThanOrEqual(1);
      await sleep(300);
      expect<unknown>(await connector.get('blink')).toBe('x');
      await sleep(2000);
      expect<unknown>(await connector.get('blink')).toBeNull();
    },
    T,
  );
});
