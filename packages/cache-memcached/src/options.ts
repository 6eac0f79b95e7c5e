import {
  ConnectorError,
  parseConnectorUrl,
  queryBoolean,
  queryNumber,
  type ConnectorOptions,
  type ParsedUrl,
} from '@connector-kit/connector-core';

export interface MemcachedCacheOptions extends ConnectorOptions {
  /**
   * Servers as `host:port` strings. Overrides the URL's host list. Keys are spread over them by
   * the client's consistent hashing (ketama-compatible), so other `memcached` clients configured
   * with the same list find the same keys.
   */
  servers?: string[];
  /**
   * The servers' item size limit (`memcached -I`), in bytes. `supports.maxValueBytes` is derived
   * from it; larger values fail with VALUE_TOO_LARGE before anything is sent. At connect time the
   * connector checks that every server accepts at least this much.
   */
  maxItemBytes?: number;
  /** Connections per server (the client's `poolSize`). */
  poolSize?: number;
  /** Connect timeout per connection attempt, in ms (the client's `timeout`). */
  timeout?: number;
  /** How often the client's pool retries a failed connection attempt (with 1 s+ backoff) before failing the operation. */
  retries?: number;
  /** Consecutive connection failures (or operation timeouts) after which a server is marked down. */
  failures?: number;
  /** While a server is down: operations on its keys fail at once, and it is probed every `retry` ms. */
  retry?: number;
  /** Close a connection after this many ms without traffic; 0 keeps connections open. */
  idle?: number;
  /**
   * Fail over without spares: while a server is down (and no spare is free), take it out of the
   * hash ring so its keys go to the live servers; put it back when it answers again. Off by
   * default (its keys fail instead): see the README on stale reads after fail-back.
   */
  remove?: boolean;
  /**
   * Spare servers (`host:port`). While a server is down, the first healthy spare takes its place in
   * the hash ring (its keys go to the spare); when the server answers again it takes its place
   * back. Spares are tried before `remove`. URL: `?failOverServers=h1:11211,h2:11211`.
   */
  failOverServers?: string[];
}

/** Every default in one place (documented in the README). */
export const MEMCACHED_DEFAULTS = {
  servers: ['127.0.0.1:11211'] as readonly string[],
  defaultPort: 11211,
  maxItemBytes: 1024 * 1024,
  poolSize: 10,
  timeout: 1000,
  retries: 0,
  failures: 1,
  retry: 1000,
  idle: 0,
  remove: false,
  failOverServers: [] as readonly string[],
} as const;

/** The options after URL parsing, defaults and validation. */
export interface ResolvedMemcachedOptions {
  servers: string[];
  maxItemBytes: number;
  poolSize: number;
  timeout: number;
  retries: number;
  failures: number;
  retry: number;
  idle: number;
  remove: boolean;
  failOverServers: string[];
}

type NumericOption = 'maxItemBytes' | 'poolSize' | 'timeout' | 'retries' | 'failures' | 'retry' | 'idle';

/** Smallest and largest accepted value of each numeric option. */
const NUMERIC_RANGES: Record<NumericOption, [number, number]> = {
  // memcached itself accepts -I from 1 KiB to 1 GiB.
  maxItemBytes: [1024, 1024 * 1024 * 1024],
  poolSize: [1, 1000],
  timeout: [1, 600_000],
  retries: [0, 10],
  failures: [1, 1000],
  retry: [10, 3_600_000],
  idle: [0, 86_400_000],
};

const QUERY_PARAMETERS = new Set<string>([...Object.keys(NUMERIC_RANGES), 'remove', 'failOverServers']);

/** Merges URL, options and defaults; throws CONFIG naming the bad field. */
export function resolveMemcachedOptions(options: MemcachedCacheOptions): ResolvedMemcachedOptions {
  const parsed = options.url === undefined ? null : parseMemcachedUrl(options.url);
  const fromUrl: Partial<ResolvedMemcachedOptions> = parsed ? optionsFromQuery(parsed) : {};
  const numeric = (name: NumericOption): number => {
    const value = options[name] ?? fromUrl[name] ?? MEMCACHED_DEFAULTS[name];
    const [min, max] = NUMERIC_RANGES[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConnectorError(
        'CONFIG',
        `Option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
        {
          details: { field: name },
        },
      );
    }
    return value;
  };
  const remove = options.remove ?? fromUrl.remove ?? MEMCACHED_DEFAULTS.remove;
  if (typeof remove !== 'boolean') {
    throw new ConnectorError('CONFIG', `Option remove must be true or false, got ${String(remove)}`, {
      details: { field: 'remove' },
    });
  }
  const servers =
    options.servers !== undefined
      ? normaliseServers(options.servers)
      : parsed
        ? serversFromUrl(parsed)
        : [...MEMCACHED_DEFAULTS.servers];
  const failOverServers =
    options.failOverServers !== undefined
      ? normaliseServers(options.failOverServers, 'failOverServers', true)
      : (fromUrl.failOverServers ?? [...MEMCACHED_DEFAULTS.failOverServers]);
  const overlap = failOverServers.find((spare) => servers.includes(spare));
  if (overlap !== undefined) {
    throw new ConnectorError('CONFIG', `Option failOverServers: ${overlap} is also one of the servers`, {
      details: { field: 'failOverServers' },
    });
  }
  return {
    servers,
    failOverServers,
    maxItemBytes: numeric('maxItemBytes'),
    poolSize: numeric('poolSize'),
    timeout: numeric('timeout'),
    retries: numeric('retries'),
    failures: numeric('failures'),
    retry: numeric('retry'),
    idle: numeric('idle'),
    remove,
  };
}

function parseMemcachedUrl(url: string): ParsedUrl {
  const parsed = parseConnectorUrl(url);
  if (parsed.scheme !== 'memcached') {
    throw new ConnectorError(
      'CONFIG',
      `Option url: MemcachedCache expects a memcached:// URL, got ${parsed.redacted}`,
      {
        details: { field: 'url' },
      },
    );
  }
  if (parsed.username !== undefined || parsed.password !== undefined) {
    // The text protocol has no authentication; silently ignoring credentials would mislead.
    throw new ConnectorError(
      'CONFIG',
      `Option url: memcached's text protocol has no authentication; remove the credentials from ${parsed.redacted}`,
      {
        details: { field: 'url' },
      },
    );
  }
  if (parsed.path !== '') {
    throw new ConnectorError(
      'CONFIG',
      `Option url: a memcached URL has no path ("/${parsed.path}") in ${parsed.redacted}`,
      {
        details: { field: 'url' },
      },
    );
  }
  for (const name of Object.keys(parsed.query)) {
    if (!QUERY_PARAMETERS.has(name)) {
      throw new ConnectorError(
        'CONFIG',
        `Unknown query parameter "${name}" in ${parsed.redacted}; known: ${[...QUERY_PARAMETERS].join(', ')}`,
        { details: { field: name } },
      );
    }
  }
  return parsed;
}

function optionsFromQuery(parsed: ParsedUrl): Partial<ResolvedMemcachedOptions> {
  const out: Partial<ResolvedMemcachedOptions> = {};
  for (const name of Object.keys(NUMERIC_RANGES) as NumericOption[]) {
    if (parsed.query[name] !== undefined) out[name] = queryNumber(parsed, name, MEMCACHED_DEFAULTS[name]);
  }
  if (parsed.query.remove !== undefined)
    out.remove = queryBoolean(parsed, 'remove', MEMCACHED_DEFAULTS.remove);
  const spares = parsed.query.failOverServers;
  if (spares !== undefined && spares !== '') {
    out.failOverServers = normaliseServers(spares.split(','), 'failOverServers', true);
  }
  return out;
}

function serversFromUrl(parsed: ParsedUrl): string[] {
  if (parsed.hosts.length === 0) return [...MEMCACHED_DEFAULTS.servers];
  return normaliseServers(parsed.hosts.map((h) => `${h.host}:${h.port ?? MEMCACHED_DEFAULTS.defaultPort}`));
}

/** Checks `host:port` strings (port optional) and removes duplicates, keeping the order. */
function normaliseServers(servers: unknown, field = 'servers', mayBeEmpty = false): string[] {
  if (!Array.isArray(servers) || (servers.length === 0 && !mayBeEmpty)) {
    throw new ConnectorError('CONFIG', `Option ${field} must be a non-empty array of "host:port" strings`, {
      details: { field },
    });
  }
  const out: string[] = [];
  for (const item of servers) {
    if (typeof item !== 'string' || item.trim() === '') {
      throw new ConnectorError(
        'CONFIG',
        `Option ${field} must hold "host:port" strings, got ${JSON.stringify(item)}`,
        {
          details: { field },
        },
      );
    }
    const match = /^(.+?)(?::(\d+))?$/.exec(item.trim());
    const host = match?.[1] ?? '';
    const port = match?.[2] === undefined ? MEMCACHED_DEFAULTS.defaultPort : Number(match[2]);
    if (host === '' || /[\s/]/.test(host) || port < 1 || port > 65535) {
      throw new ConnectorError(
        'CONFIG',
        `Option ${field}: invalid memcached server "${item}" (expected host:port)`,
        {
          details: { field },
        },
      );
    }
    const server = `${host}:${port}`;
    if (!out.includes(server)) out.push(server);
  }
  return out;
}
