import { LRUCache } from 'lru-cache';
import { ConnectorError } from '../errors';

interface StoredBytes {
  data: Uint8Array;
  version: number;
}

export interface MemoryStoreOptions {
  /** Most entries held; the least recently used are evicted beyond it. Default 100,000. */
  maxEntries?: number;
  /** Most bytes held (keys + values + ~64 bytes overhead each). Default 64 MiB. */
  maxBytes?: number;
}

export const MEMORY_STORE_DEFAULTS = { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 } as const;
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * The in-process backend of MemoryCache: an LRU (lru-cache) bounded by entries and bytes, with
 * per-entry TTL. Several MemoryCache connectors may share one store under different prefixes.
 */
export class MemoryStore {
  private readonly lru: LRUCache<string, StoredBytes>;
  readonly maxEntries: number;
  readonly maxBytes: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = checkLimit(options.maxEntries, MEMORY_STORE_DEFAULTS.maxEntries, 'maxEntries');
    this.maxBytes = checkLimit(options.maxBytes, MEMORY_STORE_DEFAULTS.maxBytes, 'maxBytes');
    this.lru = new LRUCache<string, StoredBytes>({
      max: this.maxEntries,
      maxSize: this.maxBytes,
      sizeCalculation: (value, key) => value.data.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES,
    });
  }

  get(key: string): StoredBytes | undefined {
    return this.lru.get(key);
  }

  version(key: string): number | undefined {
    return this.lru.get(key)?.version;
  }

  set(key: string, data: Uint8Array, version: number, ttlMs: number): void {
    this.lru.set(key, { data, version }, ttlMs > 0 ? { ttl: ttlMs } : undefined);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  clear(): void {
    this.lru.clear();
  }
}

function checkLimit(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConnectorError(
      'CONFIG',
      `MemoryStore ${field} must be a positive integer, got ${String(value)}`,
      {
        details: { field },
      },
    );
  }
  return value;
}
