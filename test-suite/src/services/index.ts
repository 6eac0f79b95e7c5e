/**
 * The service launchers and their helpers. Importing this module registers every launcher with
 * the registry (`startService('redis')`, …). Generic names (sleep, run) are not re-exported, so
 * this can sit beside the spec helpers in the package root.
 */
export { waitUntil, withTimeout, type WaitOptions } from './wait';
export * from './ports';
export { run as runCommand, probe as probeCommand, type RunOptions, type RunResult } from './exec';
export * from './exit-hooks';
export * from './temp-dir';
export * from './proc-state';
export * from './process-node';
export * from './resources';
export * from './tls-certs';
export * from './redis';
export * from './redis-cluster';
export * from './redis-sentinel';
export * from './memcached';
export * from './dynamodb';
export * from './mongodb';
