import type { ConnectorOptions } from '@connector-kit/connector-core';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** A Redis server address. */
export interface RedisAddress {
  host: string;
  port?: number;
}

/**
 * Options of the Redis cache connector. Everything can also come from the URL; explicit options
 * win over the URL. Every default is listed in REDIS_CACHE_DEFAULTS.
 */
export interface RedisCacheOptions extends ConnectorOptions {
  /**
   * `redis://[user:pass@]host:port/db#prefix`, `rediss://…` (TLS),
   * `redis+cluster://host1:p1,host2:p2#prefix`, `redis+sentinel://s1:26379,s2:26379/mymaster#prefix`.
   */
  url?: string;
  /** A second URL that receives all writes; reads then go to `url` (a replica). Standalone/Sentinel only. */
  masterUrl?: string;
  /**
   * An existing ioredis `Redis` or `Cluster` to use instead of connecting. The caller owns its
   * lifecycle: `close()` leaves it connected. Its own options (offline queue, retries) apply.
   */
  client?: Redis | Cluster;
  /** Host and port when no URL is given (default 127.0.0.1:6379). */
  host?: string;
  port?: number;
  /** Cluster seed nodes when no URL is given. */
  nodes?: RedisAddress[];
  username?: string;
  password?: string;
  /** Database number (standalone and Sentinel only). */
  db?: number;
  /**
   * TLS options for node's `tls.connect` (`ca`, `cert`, `key`, `servername`, …), or `true` for
   * TLS with the system's CAs. `rediss://` turns TLS on by itself.
   */
  tls?: TlsOptions | boolean;
  /** Password of the Sentinels themselves (the `password` is the data nodes'). */
  sentinelPassword?: string;
  /** Largest serialised value accepted, in bytes (Redis' own limit is 512 MB). */
  maxValueBytes?: number;
  /** Longest key accepted, in UTF-8 bytes, not counting the prefix. */
  maxKeyBytes?: number;
  /** Most keys put into one MGET/MSET/DEL command; larger batches are split. */
  maxBatchKeys?: number;
  /** Longest pause between reconnection attempts, in ms (attempts back off from 50 ms). */
  reconnectMaxDelayMs?: number;
  /**
   * If Redis has not answered anything for this long while commands are outstanding (a hung or
   * SIGSTOPped server), the connection is dropped and re-established so that waiting commands
   * fail and memory is released. 0 turns the watchdog off. Not applied to a caller's `client`.
   */
  stallTimeoutMs?: number;
  /** Extra ioredis options for connections the connector creates (they win over ours). */
  redisOptions?: RedisOptions;
  /** Extra ioredis Cluster options (cluster mode only; they win over ours). */
  clusterOptions?: ClusterOptions;
}

export const REDIS_CACHE_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  port: 6379,
  sentinelPort: 26379,
  db: 0,
  maxValueBytes: 16 * 1024 * 1024,
  maxKeyBytes: 64 * 1024,
  maxBatchKeys: 1000,
  reconnectMaxDelayMs: 1000,
  stallTimeoutMs: 10_000,
} as const;
