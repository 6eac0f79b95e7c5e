import { deepstreamPluginFor } from '@connector-kit/connector-core';
import { MongoStorage } from './mongodb-storage';
import type { MongoStorageOptions } from './options';

/**
 * deepstream storage plugin: `storage: { path: '@connector-kit/storage-mongodb', options: { url } }`.
 * deepstream hands over its `options` block unchanged.
 */
export const DeepstreamPlugin = deepstreamPluginFor(
  (options) => new MongoStorage(options as MongoStorageOptions),
);
