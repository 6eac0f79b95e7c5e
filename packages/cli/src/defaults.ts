/**
 * Every default of the `connector-kit` CLI, in one place. The help texts and the README quote
 * these values; change them here only.
 */
import { resolve } from 'node:path';

export const CLI_DEFAULTS = {
  /** `serve`: the cache (deepstream's top-level `cache` slot). Env `CACHE_URL`. */
  cacheUrl: 'memory://',
  /** `serve`: where the default embedded storage keeps its files. */
  dataDir: './data',
  /** `serve`: deepstream's port (websocket and HTTP on one port). Env `PORT`. */
  port: 6020,
  /** `serve`: the interface deepstream listens on. Env `HOST`. */
  host: '0.0.0.0',
  /** `serve`: deepstream's log level (`debug`, `info`, `warn`, `error`, `off`). */
  logLevel: 'warn',
  /** How long a command waits for a backend to be reachable before giving up, ms. */
  connectTimeoutMs: 10_000,
  /** Bound on one operation (get/set/delete/head), ms. */
  operationTimeoutMs: 5_000,
  /** `serve`: how long stopping may take (deepstream, then flushing and closing the connectors), ms. */
  stopTimeoutMs: 15_000,
  /** `serve`: a stop signal repeated within this is the same one delivered twice (see serve.ts), ms. */
  signalRepeatGraceMs: 500,
  /** `bench`: measured time per row, ms. */
  benchDurationMs: 2_000,
  /** `bench`: unmeasured warm-up before each row, ms. */
  benchWarmupMs: 300,
  /** `bench`: closed-loop concurrency levels, one row each. */
  benchConcurrency: [1, 64] as readonly number[],
  /** `bench`: distinct keys the load cycles through. */
  benchKeys: 1000,
  /** `bench`: prefix of the keys it writes (and deletes afterwards). */
  benchPrefix: 'connector-kit-bench:',
} as const;

/** Environment variables `serve` reads (a flag wins over its variable). */
export const SERVE_ENV = {
  cacheUrl: 'CACHE_URL',
  storageUrl: 'STORAGE_URL',
  port: 'PORT',
  host: 'HOST',
} as const;

/**
 * `serve`'s default storage: the embedded LMDB store (`@connector-kit/storage-lmdb`) in `dataDir`,
 * resolved against the working directory: `lmdb:///absolute/path`, each segment percent-encoded
 * (a `#` or `?` in a directory name is not a prefix or a query).
 */
export function defaultStorageUrl(dataDir: string): string {
  return `lmdb://${resolve(dataDir).split('/').map(encodeURIComponent).join('/')}`;
}
