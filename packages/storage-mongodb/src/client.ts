import { CONNECTOR_DEFAULTS, ConnectorError, type ConnectorOptions } from '@connector-kit/connector-core';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { toConnectorErrorFromMongo } from './mongo-errors';
import type { ResolvedMongoOptions } from './options';

/**
 * Creates the driver's client (without connecting). Its timeouts follow the connector's operation
 * timeout, so a dead server fails operations within it; options written in the URL's query win
 * over these defaults, and `clientOptions` win over both.
 */
export function createMongoClient(
  settings: ResolvedMongoOptions,
  options: Pick<ConnectorOptions, 'operationTimeoutMs' | 'connectTimeoutMs'>,
  version: string,
  extra: MongoClientOptions | undefined,
): MongoClient {
  const operationTimeoutMs = options.operationTimeoutMs ?? CONNECTOR_DEFAULTS.operationTimeoutMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECTOR_DEFAULTS.connectTimeoutMs;
  const defaults: MongoClientOptions = {
    serverSelectionTimeoutMS: operationTimeoutMs,
    connectTimeoutMS: Math.min(connectTimeoutMs, operationTimeoutMs),
    socketTimeoutMS: operationTimeoutMs,
    heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
    appName: `connector-kit-mongodb/${version}`,
  };
  const applied = Object.fromEntries(
    Object.entries(defaults).filter(([name]) => !settings.urlOptionNames.has(name.toLowerCase())),
  ) as MongoClientOptions;
  try {
    return new MongoClient(settings.driverUrl!, { ...applied, ...extra });
  } catch (err) {
    const error = toConnectorErrorFromMongo(err, `Invalid MongoDB configuration for ${settings.redactedUrl}`);
    throw new ConnectorError('CONFIG', error.message, { cause: err, details: { field: 'url' } });
  }
}
