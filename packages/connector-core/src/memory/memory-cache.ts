import { BaseConnector } from '../connector/base-connector';
import type { ReadRecord, WriteRecord } from '../connector/records';
import type { ConnectorOptions } from '../config/options';
import { parseConnectorUrl, queryNumber } from '../config/url';
import { ConnectorError } from '../errors';
import { MemoryStore, type MemoryStoreOptions } from './memory-store';

export interface MemoryCacheOptions extends ConnectorOptions, MemoryStoreOptions {
  /** Share one store between several connectors (e.g. under different prefixes). */
  store?: MemoryStore;
  /** Largest serialised value accepted. Default 16 MiB (and never more than maxBytes). */
  maxValueBytes?: number;
}

export const MEMORY_CACHE_DEFAULTS = { maxValueBytes: 16 * 1024 * 1024, maxKeyBytes: 64 * 1024 } as const;

/**
 * The reference connector and the embedded default: everything in this process, nothing
 * persistent. URL form: `memory://?maxEntries=1000&maxBytes=1048576#prefix`.
 */
export class MemoryCache extends BaseConnector {
  readonly store: MemoryStore;

  constructor(options: MemoryCacheOptions = {}) {
    const fromUrl = options.url ? memoryOptionsFromUrl(options.url) : {};
    const merged = { ...fromUrl, ...options };
    const store = merged.store ?? new MemoryStore(merged);
    const maxValueBytes = Math.min(
      merged.maxValueBytes ?? MEMORY_CACHE_DEFAULTS.maxValueBytes,
      store.maxBytes,
    );
    super(merged, {
      name: 'memory',
      version: '0.1.0',
      preservesOrder: true,
      supports: {
        ttl: true,
        ttlGranularityMs: 1,
        bulk: true,
        compareAndSet: true,
        maxKeyBytes: MEMORY_CACHE_DEFAULTS.maxKeyBytes,
        maxValueBytes,
        persistent: false,
      },
    });
    this.store = store;
  }

  protected async _open(): Promise<void> {}

  protected async _close(): Promise<void> {}

  protected async _get(key: string): Promise<ReadRecord | null> {
    return this.store.get(key) ?? null;
  }

  protected override async _head(key: string): Promise<number | null> {
    return this.store.version(key) ?? null;
  }

  /** Reads complete synchronously: the base class uses these directly. */
  protected override _getNow(key: string): ReadRecord | null {
    return this.store.get(key) ?? null;
  }

  protected override _headNow(key: string): number | null {
    return this.store.version(key) ?? null;
  }

  protected async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    this.store.set(key, record.data, record.version, ttl);
  }

  protected async _delete(key: string): Promise<void> {
    this.store.delete(key);
  }

  protected override async _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    return keys.map((k) => this.store.get(k) ?? null);
  }

  protected override async _headMany(keys: string[]): Promise<(number | null)[]> {
    return keys.map((k) => this.store.version(k) ?? null);
  }

  protected override async _setMany(
    items: { key: string; record: WriteRecord }[],
    ttl: number,
  ): Promise<void> {
    for (const { key, record } of items) this.store.set(key, record.data, record.version, ttl);
  }

  protected override async _deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) this.store.delete(key);
  }

  /** Synchronous check-and-write inside one tick: atomic in a single-threaded process. */
  protected override async _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const current = this.store.version(key);
    if ((current ?? null) !== expectedVersion) return false;
    this.store.set(key, record.data, record.version, ttl);
    return true;
  }
}

function memoryOptionsFromUrl(url: string): MemoryCacheOptions {
  const parsed = parseConnectorUrl(url);
  if (parsed.scheme !== 'memory') {
    throw new ConnectorError('CONFIG', `MemoryCache expects a memory:// URL, got ${parsed.redacted}`, {
      details: { field: 'url' },
    });
  }
  const options: MemoryCacheOptions = {};
  if (parsed.query.maxEntries) options.maxEntries = queryNumber(parsed, 'maxEntries', 0);
  if (parsed.query.maxBytes) options.maxBytes = queryNumber(parsed, 'maxBytes', 0);
  if (parsed.query.maxValueBytes) options.maxValueBytes = queryNumber(parsed, 'maxValueBytes', 0);
  return options;
}
