import type { EventEmitter } from 'node:events';
import type { ConnectorError } from './errors';

/** Every value a connector stores: exactly what JSON can hold. */
export type JsonValue = null | boolean | number | string | JsonArray | JsonObject;
// Interfaces (not inline types) keep the recursion lazy, so tools such as jasmine's matcher
// typings can work with JsonValue without "type instantiation is excessively deep" errors.
export interface JsonObject {
  [key: string]: JsonValue;
}
export type JsonArray = JsonValue[];

/** Error-first callback; called exactly once, never with a thrown error. */
export type Callback<T> = (err: ConnectorError | null, result?: T) => void;

/**
 * What a backend can do. The common spec and the tiered store read this to decide what to test
 * and how to combine tiers.
 */
export interface Supports {
  /** Per-entry expiry (`set(key, value, { ttl })`). */
  ttl: boolean;
  /** Smallest TTL step the backend honours, in milliseconds (memcached: 1000). */
  ttlGranularityMs: number;
  /** Native bulk hooks (the public bulk methods always work; without native bulk they loop). */
  bulk: boolean;
  /** Atomic compare-and-set on the record version. */
  compareAndSet: boolean;
  /** Longest key accepted, in UTF-8 bytes (after the prefix is taken into account). */
  maxKeyBytes: number;
  /** Largest serialised value accepted, in bytes (as measured by the connector's codec). */
  maxValueBytes: number;
  /** Data survives the connector being closed and a new one being opened on the same backend. */
  persistent: boolean;
}

export interface SetOptions {
  /** Time to live in milliseconds; omitted or 0 means the connector's default (usually none). */
  ttl?: number;
  /**
   * Record version stored beside the value (deepstream's record version). Defaults to 0.
   * Readable with `getEntry` and `head` without reading the value.
   */
  version?: number;
}

export interface CompareAndSetOptions extends SetOptions {
  /**
   * The version the stored record must have for the write to happen; `null` means the key must
   * not exist. On mismatch the operation fails with `CONFLICT`.
   */
  expectedVersion: number | null;
}

/** A stored value together with its version. */
export interface Entry {
  value: JsonValue;
  version: number;
}

/** Cheap, always-on counters. Latencies are in milliseconds. */
export interface ConnectorStats {
  name: string;
  ready: boolean;
  operations: Record<string, number>;
  errors: Record<string, number>;
  hits: number;
  misses: number;
  /**
   * Of the operations this connector timed: its public methods. Writes a tiered store makes into
   * it through the store's shortcut count in `operations` and are timed in the store's stats.
   */
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number };
  inFlight: number;
}

/** The interface every connector exposes (cache and storage alike). */
export interface Connector extends EventEmitter {
  readonly name: string;
  readonly version: string;
  readonly supports: Readonly<Supports>;
  /** False until the backend is reachable; `'ready'` is emitted when it becomes true. */
  readonly isReady: boolean;
  /** The key prefix (namespace) this connector works under. */
  readonly prefix: string;

  get(key: string): Promise<JsonValue | null>;
  get(key: string, callback: Callback<JsonValue | null>): void;

  getEntry(key: string): Promise<Entry | null>;
  getEntry(key: string, callback: Callback<Entry | null>): void;

  /** The stored version of a key, without reading its value; `null` when missing. */
  head(key: string): Promise<number | null>;
  head(key: string, callback: Callback<number | null>): void;

  set(key: string, value: JsonValue, options?: SetOptions): Promise<void>;
  set(key: string, value: JsonValue, callback: Callback<void>): void;
  set(key: string, value: JsonValue, options: SetOptions, callback: Callback<void>): void;

  delete(key: string): Promise<void>;
  delete(key: string, callback: Callback<void>): void;

  /** Values in the order of `keys`; `null` for missing keys. */
  getBulk(keys: readonly string[]): Promise<(JsonValue | null)[]>;
  getBulk(keys: readonly string[], callback: Callback<(JsonValue | null)[]>): void;

  getEntryBulk(keys: readonly string[]): Promise<(Entry | null)[]>;
  getEntryBulk(keys: readonly string[], callback: Callback<(Entry | null)[]>): void;

  headBulk(keys: readonly string[]): Promise<(number | null)[]>;
  headBulk(keys: readonly string[], callback: Callback<(number | null)[]>): void;

  setBulk(entries: readonly BulkSetEntry[], options?: SetOptions): Promise<void>;
  setBulk(entries: readonly BulkSetEntry[], callback: Callback<void>): void;
  setBulk(entries: readonly BulkSetEntry[], options: SetOptions, callback: Callback<void>): void;

  deleteBulk(keys: readonly string[]): Promise<void>;
  deleteBulk(keys: readonly string[], callback: Callback<void>): void;

  /** Atomic write conditioned on the stored version (`supports.compareAndSet`), else `UNSUPPORTED`. */
  compareAndSet(key: string, value: JsonValue, options: CompareAndSetOptions): Promise<void>;
  compareAndSet(key: string, value: JsonValue, options: CompareAndSetOptions, callback: Callback<void>): void;

  /** Resolves once the connector is ready (rejects if it is closed first). */
  whenReady(): Promise<void>;

  /** Settles pending work, releases connections. Later operations fail with `CLOSED`. */
  close(): Promise<void>;
  close(callback: Callback<void>): void;

  stats(): ConnectorStats;
}

export interface BulkSetEntry {
  key: string;
  value: JsonValue;
  /** Per-entry version (defaults to 0, or to the bulk call's `options.version`). */
  version?: number;
}
