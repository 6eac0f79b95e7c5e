import { deepstreamPluginFor } from '@connector-kit/connector-core';
import { LmdbStorage } from './lmdb-storage';
import type { LmdbStorageOptions } from './options';

/**
 * deepstream storage plugin:
 * `storage: { path: '@connector-kit/storage-lmdb', options: { path: '/var/lib/app/data' } }`.
 * deepstream hands over its `options` block unchanged.
 */
export const DeepstreamPlugin = deepstreamPluginFor(
  (options) => new LmdbStorage(options as LmdbStorageOptions),
);
