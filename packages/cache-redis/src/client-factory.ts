import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Client } from './commands';
import type { Endpoint } from './endpoint';

export interface ClientSettings {
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
  redisOptions?: RedisOptions;
  clusterOptions?: ClusterOptions;
}

/** Reconnection backoff: 50 ms, 100 ms, 200 ms, … up to the cap; never gives up. */
function backoff(maxDelayMs: number): (attempt: number) => number {
  return (attempt) => Math.min(50 * 2 ** Math.min(attempt - 1, 16), maxDelayMs);
}

/**
 * The ioredis settings that keep failures bounded. Commands never wait in an offline queue (the
 * connector waits for readiness itself, within the operation timeout), commands in flight when
 * the connection drops fail at once instead of being re-sent after reconnecting (a re-sent write
 * could land after newer writes), and reconnection goes on in the background forever.
 */
function connectionOptions(endpoint: Endpoint, settings: ClientSettings): RedisOptions {
  return {
    username: endpoint.username,
    password: endpoint.password,
    tls: endpoint.tls,
    connectTimeout: settings.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    retryStrategy: backoff(settings.reconnectMaxDelayMs),
    lazyConnect: true,
  };
}

/** Creates (but does not connect) the ioredis client for an endpoint. */
export function createClient(endpoint: Endpoint, settings: ClientSettings): Client {
  const common = connectionOptions(endpoint, settings);
  const { topology } = endpoint;
  if (topology.kind === 'cluster') {
    const options: ClusterOptions = {
      redisOptions: { ...common, ...settings.redisOptions },
      enableOfflineQueue: false,
      enableReadyCheck: true,
      lazyConnect: true,
      clusterRetryStrategy: backoff(settings.reconnectMaxDelayMs),
      // Commands to one node issued in one tick travel together; the batcher already made them
      // single-slot, which is what cluster pipelines require.
      enableAutoPipelining: true,
      ...settings.clusterOptions,
    };
    return new Cluster(topology.nodes, options);
  }
  const options: RedisOptions = { ...common, db: endpoint.db };
  if (topology.kind === 'sentinel') {
    Object.assign(options, {
      sentinels: topology.sentinels,
      name: topology.name,
      sentinelPassword: endpoint.sentinelPassword,
      sentinelRetryStrategy: backoff(settings.reconnectMaxDelayMs),
      enableTLSForSentinelMode: endpoint.tls !== undefined,
      sentinelTLS: endpoint.tls,
    } satisfies RedisOptions);
  } else {
    options.host = topology.host;
    options.port = topology.port;
  }
  return new Redis({ ...options, ...settings.redisOptions });
}
