export { RedisCache } from './redis-cache';
export { REDIS_CACHE_DEFAULTS, type RedisCacheOptions, type RedisAddress } from './options';
export { driver } from './driver';
export { DeepstreamPlugin } from './deepstream';
/** deepstream (v5+) instantiates a `path:` plugin's default export when there is one. */
export { DeepstreamPlugin as default } from './deepstream';
/** The ioredis classes this connector was built with, for passing your own `client`. */
export { Redis, Cluster } from 'ioredis';
/** The stored shape and the wire encoding, for tools that read or check what the connector wrote. */
export { FORMAT_MARKER, HEADER_MAX_BYTES, encodeRecord, decodeRecord } from './record-format';
export { encodeCommand } from './resp';
export { keySlot } from './key-slot';
export { CONNECTOR_VERSION } from './version';
