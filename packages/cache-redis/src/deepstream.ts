import { deepstreamPluginFor } from '@connector-kit/connector-core';
import { RedisCache } from './redis-cache';
import type { RedisCacheOptions } from './options';

/**
 * deepstream cache plugin: `cache: { path: '@connector-kit/cache-redis', options: { url: 'redis://…' } }`.
 * deepstream constructs it with `(options, services, config)`.
 */
export const DeepstreamPlugin = deepstreamPluginFor(
  (options) => new RedisCache(options as RedisCacheOptions),
);
