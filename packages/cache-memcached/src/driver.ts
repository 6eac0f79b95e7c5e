import type { ConnectorDriver } from '@connector-kit/connector-core';
import { MemcachedCache } from './memcached-cache';
import type { MemcachedCacheOptions } from './options';

/** Lets `createConnector('memcached://…')` load this package. */
export const driver: ConnectorDriver = {
  name: 'memcached',
  schemes: ['memcached'],
  create: (options) => new MemcachedCache(options as MemcachedCacheOptions),
};
