import type { ConnectorDriver } from '@connector-kit/connector-core';
import { DynamoDBStorage } from './dynamodb-storage';
import type { DynamoDBStorageOptions } from './options';

/** Lets `createConnector('dynamodb://…')` load this package by its URL scheme. */
export const driver: ConnectorDriver = {
  name: 'dynamodb',
  schemes: ['dynamodb'],
  create: (options) => new DynamoDBStorage(options as DynamoDBStorageOptions),
};
