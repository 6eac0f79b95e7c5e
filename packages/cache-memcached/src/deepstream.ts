import { deepstreamPluginFor } from '@connector-kit/connector-core';
import { MemcachedCache } from './memcached-cache';
import type { MemcachedCacheOptions } from './options';

/** deepstream cache plugin: `cache: { path: '@connector-kit/cache-memcached', options: { url } }`. */
export const DeepstreamPlugin = deepstreamPluginFor(
  (options) => new MemcachedCache(options as MemcachedCacheOptions),
);
