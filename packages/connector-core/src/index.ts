export * from './errors';
export * from './types';
export * from './codec';
export { redactText, redactUrl, redactConnectionString } from './config/redact';
export { parseConnectorUrl, queryNumber, queryBoolean, type ParsedUrl, type HostPort } from './config/url';
export { CONNECTOR_DEFAULTS, consoleLogger, type ConnectorOptions, type Logger } from './config/options';
export {
  registerDriver,
  resolveDriver,
  registeredSchemes,
  createConnector,
  type ConnectorDriver,
} from './config/registry';
export { BaseConnector, withTimeout, type ConnectorIdentity } from './connector/base-connector';
export type { WriteDone } from './connector/direct-write';
export type { ReadRecord, WriteRecord } from './connector/records';
export { validateKey } from './connector/keys';
export { TickBatcher, type BatchedCall } from './connector/tick-batcher';
export { KeyOrder } from './connector/key-order';
export { CompletionOrder, OperationState, type OrderedOperation } from './connector/completion-order';
export { DeadlineQueue, type Deadline } from './connector/deadlines';
export { LatencyHistogram } from './connector/stats';
export { MemoryStore, MEMORY_STORE_DEFAULTS, type MemoryStoreOptions } from './memory/memory-store';
export { MemoryCache, MEMORY_CACHE_DEFAULTS, type MemoryCacheOptions } from './memory/memory-cache';
export { memoryDriver } from './memory/driver';

import { registerDriver } from './config/registry';
import { memoryDriver } from './memory/driver';
registerDriver(memoryDriver);
export {
  DeepstreamConnectorPlugin,
  deepstreamPluginFor,
  type DeepstreamServices,
  type StorageReadCallback,
  type StorageWriteCallback,
  type StorageHeadCallback,
  type StorageHeadBulkCallback,
} from './deepstream/plugin';
export { MemoryCacheDeepstreamPlugin } from './memory/deepstream';
/**
 * deepstream (v5+) instantiates a `path:` plugin's default export when there is one, so
 * `cache: { path: '@connector-kit/connector-core' }` is the memory cache, as each backend
 * package's name is its own plugin.
 */
export { MemoryCacheDeepstreamPlugin as default } from './memory/deepstream';
export {
  TieredStore,
  TIERED_STORE_DEFAULTS,
  type TieredStoreOptions,
  type TieredStoreStats,
  type TierStats,
} from './tiered/tiered-store';
export {
  WriteBehindQueue,
  WRITE_BEHIND_DEFAULTS,
  type WriteBehindOptions,
  type WriteBehindStats,
  type QueuedWrite,
} from './tiered/write-behind-queue';
export { isJournalingCache, type JournalingCache, type JournalEntry } from './tiered/journal';
export {
  WorkerConnector,
  WORKER_CONNECTOR_DEFAULTS,
  type WorkerConnectorOptions,
} from './worker/worker-connector';
