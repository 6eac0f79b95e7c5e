import type { ConnectorDriver } from '@connector-kit/connector-core';
import { LmdbStorage } from './lmdb-storage';
import type { LmdbStorageOptions } from './options';

/** Registry entry: `createConnector('lmdb:///var/lib/app/data#prefix')` loads this package. */
export const driver: ConnectorDriver = {
  name: 'lmdb',
  schemes: ['lmdb'],
  create: (options) => new LmdbStorage(options as LmdbStorageOptions),
};
