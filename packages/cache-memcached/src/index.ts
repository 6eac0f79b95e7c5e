export { MemcachedCache, MEMCACHED_MAX_KIT_KEY_BYTES, type ServerEvent } from './memcached-cache';
export {
  MEMCACHED_DEFAULTS,
  resolveMemcachedOptions,
  type MemcachedCacheOptions,
  type ResolvedMemcachedOptions,
} from './options';
export { KeyEncoder, HASH_MARKER, MEMCACHED_MAX_KEY_BYTES } from './keys';
export { toExptime, MAX_RELATIVE_EXPTIME_S, MAX_ABSOLUTE_EXPTIME_S, CLOCK_TICK_S } from './ttl';
export { ITEM_OVERHEAD_BYTES, ITEM_HEADER_MAX_BYTES, maxValueBytes } from './item';
export { driver } from './driver';
export { DeepstreamPlugin } from './deepstream';
export { DeepstreamPlugin as default } from './deepstream';
