import { ConnectorError } from '../errors';
import type { Connector } from '../types';
import type { ConnectorOptions } from './options';
import { parseConnectorUrl } from './url';

/** What a backend package exports as `driver` so the registry can load it by URL scheme. */
export interface ConnectorDriver {
  /** The connector's name (`redis`, `memcached`, …). */
  name: string;
  /** URL schemes it handles, lower case without `://`. */
  schemes: string[];
  create(options: ConnectorOptions & Record<string, unknown>): Connector;
}

type DriverSource = ConnectorDriver | { packageName: string };

const drivers = new Map<string, DriverSource>();

/** Scheme → package for the kit's own backends; loaded with require() on first use. */
const BUILT_IN: Record<string, string> = {
  redis: '@connector-kit/cache-redis',
  rediss: '@connector-kit/cache-redis',
  'redis+cluster': '@connector-kit/cache-redis',
  'redis+sentinel': '@connector-kit/cache-redis',
  memcached: '@connector-kit/cache-memcached',
  mongodb: '@connector-kit/storage-mongodb',
  'mongodb+srv': '@connector-kit/storage-mongodb',
  dynamodb: '@connector-kit/storage-dynamodb',
  lmdb: '@connector-kit/storage-lmdb',
};
for (const [scheme, packageName] of Object.entries(BUILT_IN)) drivers.set(scheme, { packageName });

/** Registers (or replaces) a driver for its schemes. */
export function registerDriver(driver: ConnectorDriver): void {
  if (!driver || typeof driver.create !== 'function' || !Array.isArray(driver.schemes)) {
    throw new ConnectorError('CONFIG', 'registerDriver expects { name, schemes: string[], create(options) }');
  }
  for (const scheme of driver.schemes) drivers.set(scheme.toLowerCase(), driver);
}

/** Schemes the registry knows (loaded or not). */
export function registeredSchemes(): string[] {
  return [...drivers.keys()].sort();
}

/** Finds the driver for a scheme, loading its package if needed. */
export function resolveDriver(scheme: string): ConnectorDriver {
  const source = drivers.get(scheme.toLowerCase());
  if (!source) {
    throw new ConnectorError(
      'CONFIG',
      `No connector driver for "${scheme}://". Known schemes: ${registeredSchemes().join(', ')}`,
      {
        details: { field: 'url' },
      },
    );
  }
  if ('create' in source) return source;
  let loaded: { driver?: ConnectorDriver };
  try {
    // Backend packages are optional peers of the core: load on demand, by name.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(source.packageName) as { driver?: ConnectorDriver };
  } catch (err) {
    throw new ConnectorError(
      'CONFIG',
      `The "${scheme}://" connector lives in ${source.packageName}; install it with: npm install ${source.packageName}`,
      { cause: err, details: { field: 'url' } },
    );
  }
  if (!loaded.driver || typeof loaded.driver.create !== 'function') {
    throw new ConnectorError('CONFIG', `${source.packageName} does not export a connector driver`);
  }
  registerDriver(loaded.driver);
  return loaded.driver;
}

/**
 * Creates a connector from a URL (`redis://…#prefix`) or an options object with `url`. The
 * memory cache (`memory://`) is built in.
 */
export function createConnector(
  urlOrOptions: string | (ConnectorOptions & Record<string, unknown>),
  options: ConnectorOptions & Record<string, unknown> = {},
): Connector {
  const merged =
    typeof urlOrOptions === 'string' ? { ...options, url: urlOrOptions } : { ...urlOrOptions, ...options };
  if (typeof merged.url !== 'string') {
    throw new ConnectorError(
      'CONFIG',
      'createConnector needs a URL (e.g. "memory://" or "redis://127.0.0.1:6379")',
      {
        details: { field: 'url' },
      },
    );
  }
  const { scheme } = parseConnectorUrl(merged.url);
  return resolveDriver(scheme).create(merged);
}
