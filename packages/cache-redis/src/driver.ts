import type { ConnectorDriver } from '@connector-kit/connector-core';
import { REDIS_SCHEMES } from './endpoint';
import { RedisCache } from './redis-cache';
import type { RedisCacheOptions } from './options';

/** Lets `createConnector('redis://…')` find this package. */
export const driver: ConnectorDriver = {
  name: 'redis',
  schemes: [...REDIS_SCHEMES],
  create: (options) => new RedisCache(options as RedisCacheOptions),
};
