import type { ConnectorDriver } from '@connector-kit/connector-core';
import { MongoStorage } from './mongodb-storage';
import type { MongoStorageOptions } from './options';

/** Registry entry: `createConnector('mongodb://127.0.0.1:27017/app#prefix')` loads this package. */
export const driver: ConnectorDriver = {
  name: 'mongodb',
  schemes: ['mongodb', 'mongodb+srv'],
  create: (options) => new MongoStorage(options as MongoStorageOptions),
};
