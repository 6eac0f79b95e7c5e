export { RedisCache } from './redis-cache';
export { REDIS_CACHE_DEFAULTS, type RedisCacheOptions, type RedisAddress } from './options';
export { driver } from './driver';
export { DeepstreamPlugin } from './deepstream';
export { keySlot } from './key-slot';
export { FORMAT_MARKER, HEADER_BYTES, encodeRecord, decodeRecord } from './record-format';
export { CONNECTOR_VERSION } from './version';
export { DeepstreamPlugin as default } from './deepstream';
/** The ioredis classes this connector was built with, for passing your own `client`. */
export { Redis, Cluster } from 'ioredis';
