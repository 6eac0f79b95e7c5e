import type { ConnectorDriver } from '../config/registry';
import { MemoryCache, type MemoryCacheOptions } from './memory-cache';

export const memoryDriver: ConnectorDriver = {
  name: 'memory',
  schemes: ['memory'],
  create: (options) => new MemoryCache(options as MemoryCacheOptions),
};
