import { deepstreamPluginFor } from '@connector-kit/connector-core';
import { DynamoDBStorage } from './dynamodb-storage';
import type { DynamoDBStorageOptions } from './options';

/** deepstream storage plugin: `storage: { path: '@connector-kit/storage-dynamodb', options: { url } }`. */
export const DeepstreamPlugin = deepstreamPluginFor(
  (options) => new DynamoDBStorage(options as DynamoDBStorageOptions),
);
