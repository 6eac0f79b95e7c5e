/**
 * The service launchers and their helpers. Importing this module registers every launcher with
 * the registry (`startService('redis')`, …).
 */
export * from './wait';
export * from './ports';
export * from './exec';
export * from './exit-hooks';
export * from './temp-dir';
export * from './process-node';
export * from './resources';
export * from './tls-certs';
export * from './redis';
export * from './redis-cluster';
export * from './memcached';
export * from './dynamodb';
