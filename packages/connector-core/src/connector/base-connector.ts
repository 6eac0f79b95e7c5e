import { EventEmitter } from 'node:events';
import { resolveCodec, type Codec } from '../codec';
import { CONNECTOR_DEFAULTS, consoleLogger, type ConnectorOptions, type Logger } from '../config/options';
import { redactText } from '../config/redact';
import { parseConnectorUrl } from '../config/url';
import { ConnectorError, toConnectorError, type ErrorCode } from '../errors';
import type {
  BulkSetEntry,
  Callback,
  CompareAndSetOptions,
  Connector,
  ConnectorStats,
  Entry,
  JsonValue,
  SetOptions,
  Supports,
} from '../types';
import { deliver, invoke } from './callbacks';
import { CompletionOrder } from './completion-order';
import { DeadlineQueue } from './deadlines';
import {
  DIRECT_WRITE,
  report,
  type DirectWritable,
  type WriteDone,
  type WriteListener,
} from './direct-write';
import { bytesOfEncoded, isEncodedValue, markAcceptsEncodedValues } from './encoded-value';
import { validateKey } from './keys';
import { KeyOrder } from './key-order';
import { Operation } from './operation';
import { CopiedRecord, EncodedRecord, readValue, type ReadRecord, type WriteRecord } from './records';
import { StatsRecorder } from './stats';

/** What a driver tells the base class about itself. */
export interface ConnectorIdentity {
  name: string;
  version: string;
  supports: Supports;
  /**
   * True when the backend applies operations on one key in the order they were issued (one
   * pipelined connection, or an in-process store). Otherwise the base class orders writes per
   * key itself, so the last `set` issued always wins.
   */
  preservesOrder?: boolean;
  /**
   * True when the hooks build documents from `record.value` (MongoDB, DynamoDB): the base class
   * then takes that private copy in the validation pass instead of decoding the bytes again.
   */
  readsValues?: boolean;
  /**
   * With `readsValues`: true when the hooks read `record.value` once and size it by
   * `record.sizeBound`, never touching `record.data` (MongoDB). With a codec that can bound its
   * output (`copyWithSizeBound`, the JSON codec) the base class then does not serialise at all,
   * unless the bound is over `maxValueBytes`, where it measures exactly.
   */
  valuesOnly?: boolean;
  /**
   * True when the hooks take the caller's keys as they are and the connector applies `prefix`
   * itself where it needs to (the tiered store: its queue and maps then key on the caller's own
   * string, whose hash the engine has usually computed already, rather than on a fresh
   * concatenation hashed again on every write).
   */
  prefixesKeysItself?: boolean;
}

const noop = (): void => undefined;
/** What a synchronous read that could not answer (a `_getNow` of undefined) yields in `get`. */
const NOT_NOW: unique symbol = Symbol('not now');
const NO_KEYS: readonly string[] = [];
const OPEN_RETRY_MIN_MS = 100;
const OPEN_RETRY_MAX_MS = 5000;

/**
 * The public half of every connector. It validates keys and values, serialises, waits for
 * readiness, bounds every operation by a timeout, normalises errors, calls callbacks exactly
 * once, orders writes per key, counts stats and handles `close()`. A backend package extends it
 * and fills in the protected `_hooks` only.
 */
export abstract class BaseConnector extends EventEmitter implements Connector, DirectWritable {
  readonly name: string;
  readonly version: string;
  readonly supports: Readonly<Supports>;
  readonly prefix: string;
  /** What the hooks' keys carry: `prefix`, or nothing when the connector prefixes keys itself. */
  private readonly hookPrefix: string;
  protected readonly codec: Codec;
  protected readonly logger: Logger;
  protected readonly operationTimeoutMs: number;
  protected readonly connectTimeoutMs: number;
  protected readonly defaultTtl: number;

  private ready = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private fatal: ConnectorError | null = null;
  private lastError: ConnectorError | null = null;
  private readonly readyWaiters = new Set<(err: ConnectorError | null) => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  private readonly preservesOrder: boolean;
  private readonly readsValues: boolean;
  private readonly valuesOnly: boolean;
  private readonly keyOrder = new KeyOrder();
  private readonly completionOrder = new CompletionOrder();
  private readonly operationDeadlines: DeadlineQueue;
  private openAttempts = 0;
  private openRetryTimer: NodeJS.Timeout | null = null;
  private opening: Promise<void> | null = null;
  private readonly recorder = new StatsRecorder();

  constructor(options: ConnectorOptions, identity: ConnectorIdentity) {
    super();
    this.name = identity.name;
    this.version = identity.version;
    this.supports = Object.freeze({ ...identity.supports });
    this.preservesOrder = identity.preservesOrder ?? false;
    this.readsValues = identity.readsValues ?? false;
    this.valuesOnly = this.readsValues && identity.valuesOnly === true;
    this.codec = resolveCodec(options.codec);
    this.logger = options.logger ?? consoleLogger;
    this.operationTimeoutMs = positiveNumber(
      options.operationTimeoutMs,
      CONNECTOR_DEFAULTS.operationTimeoutMs,
      'operationTimeoutMs',
    );
    this.connectTimeoutMs = positiveNumber(
      options.connectTimeoutMs,
      CONNECTOR_DEFAULTS.connectTimeoutMs,
      'connectTimeoutMs',
    );
    this.operationDeadlines = new DeadlineQueue(this.operationTimeoutMs);
    this.defaultTtl = nonNegativeNumber(options.defaultTtl, CONNECTOR_DEFAULTS.defaultTtl, 'defaultTtl');
    if (this.defaultTtl > 0 && !this.supports.ttl) {
      throw new ConnectorError(
        'CONFIG',
        `${this.name} does not support TTL, but defaultTtl is ${this.defaultTtl}`,
        {
          details: { field: 'defaultTtl' },
        },
      );
    }
    const prefix =
      options.prefix ?? (options.url ? parseConnectorUrl(options.url).prefix : CONNECTOR_DEFAULTS.prefix);
    if (typeof prefix !== 'string') {
      throw new ConnectorError('CONFIG', 'The prefix option must be a string', {
        details: { field: 'prefix' },
      });
    }
    this.prefix = prefix;
    this.hookPrefix = identity.prefixesKeysItself === true ? '' : prefix;
    // Open on the next tick, once the subclass constructor has finished.
    process.nextTick(() => this.open());
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks a backend implements. Keys handed to hooks already carry the prefix (unless the
  // connector declares prefixesKeysItself).

  /** Connects. Retried with backoff until it resolves; a CONFIG error stops the retries. */
  protected abstract _open(): Promise<void>;
  protected abstract _get(key: string): Promise<ReadRecord | null>;
  /** Writes value and version together (atomically). `ttl` is in ms, 0 for none. */
  protected abstract _set(key: string, record: WriteRecord, ttl: number): Promise<void>;
  /** Deleting a missing key is not an error. */
  protected abstract _delete(key: string): Promise<void>;
  /** Releases connections. Called once, after in-flight operations have settled. */
  protected abstract _close(): Promise<void>;

  /**
   * Optional synchronous form of `_get`, for backends whose reads complete in the calling thread
   * (an in-process store, a memory-mapped file): the record a `_get` issued now would resolve
   * with, or `undefined` when it cannot answer now (the base class then calls `_get`). The base
   * class calls it only while ready and when no earlier operation of the key is in flight or
   * held, so every write issued before the read has settled. (On a connector that declares
   * `preservesOrder`, a tiered store's writes through `_write` or `_set` are not tracked by the
   * base class: the answer must reflect them once handed over, as MemoryCache's synchronous
   * store does, or the hook must return undefined while any is pending.) A throw fails the read
   * as a rejection of `_get` would. `get`, `getEntry`, `getBulk` and `getEntryBulk` (when every
   * key is idle and every key answers) then need no timeout, no place in the completion order
   * and no promise of the hook (see `answerNow`).
   */
  protected _getNow?(key: string): ReadRecord | null | undefined;
  /** Optional synchronous form of `_head`, under the same rules as `_getNow` (`head`, `headBulk`). */
  protected _headNow?(key: string): number | null | undefined;

  /** Reads only the version. Default: reads the record. */
  protected _head(key: string): Promise<number | null> {
    return this._get(key).then((r) => (r === null ? null : r.version));
  }
  /** Optional native bulk hooks; without them the bulk methods issue single operations. */
  protected _getMany?(keys: string[]): Promise<(ReadRecord | null)[]>;
  protected _headMany?(keys: string[]): Promise<(number | null)[]>;
  protected _setMany?(items: { key: string; record: WriteRecord }[], ttl: number): Promise<void>;
  protected _deleteMany?(keys: string[]): Promise<void>;
  /**
   * Optional callback form of `_set` (and of `_delete`, for a null record), for backends whose
   * writes complete through callbacks: `done(null)` once written, `done(err)` if not, exactly
   * once. When present on a connector that keeps order itself (`preservesOrder`), `set`, `delete`
   * and the tiered store's shortcut use it, so a write allocates no promise of its own.
   * `deadline` (a `performance.now()` time) is when the operation times out: a write that must
   * wait before it starts (a tiered store with a full queue) must not start after it, since its
   * caller was told TIMEOUT and later writes of the key may have gone ahead.
   */
  protected _write?(
    key: string,
    record: WriteRecord | null,
    ttl: number,
    done: WriteDone,
    deadline: number,
  ): void;
  /** Atomic write if the stored version equals `expectedVersion` (null: key absent). */
  protected _compareAndSet?(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean>;

  // ---------------------------------------------------------------------------------------------
  // Lifecycle helpers for drivers.

  get isReady(): boolean {
    return this.ready;
  }

  /** Drivers call this when the backend is reachable again after `markUnavailable`. */
  protected markReady(): void {
    if (this.ready || this.closed) return;
    this.ready = true;
    this.lastError = null;
    const waiters = [...this.readyWaiters];
    this.readyWaiters.clear();
    for (const waiter of waiters) waiter(null);
    this.emit('ready');
  }

  /** Drivers call this when the connection is lost: operations wait (bounded) for `markReady`. */
  protected markUnavailable(err: unknown): void {
    const error = toConnectorError(err, 'BACKEND', `${this.name}: backend unavailable`);
    this.lastError = error;
    const wasReady = this.ready;
    this.ready = false;
    if (wasReady) this.reportError(error);
  }

  /** Reports an error not tied to one operation: `'error'` if anyone listens, else the logger. */
  protected reportError(err: unknown): void {
    const error = toConnectorError(err, 'BACKEND', this.name);
    this.recorder.recordError(error.code);
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else this.logger.error(`[${this.name}] ${redactText(error.message)} (${error.code})`);
  }

  /** True once close() was called: drivers stop reconnecting. */
  protected get isClosing(): boolean {
    return this.closed;
  }

  private open(): void {
    if (this.closed) return;
    // An attempt that hangs is abandoned after connectTimeoutMs and retried, never awaited forever.
    this.opening = withTimeout(
      Promise.resolve().then(() => this._open()),
      this.connectTimeoutMs,
      'TIMEOUT',
      `${this.name}: connecting took longer than ${this.connectTimeoutMs} ms`,
    ).then(
      () => {
        if (this.closed) return;
        this.openAttempts = 0;
        this.markReady();
      },
      (err: unknown) => {
        const error = toConnectorError(err, 'BACKEND', `${this.name}: cannot connect`);
        this.lastError = error;
        if (this.closed) return;
        this.reportError(error);
        // Configuration, or a closed dependency, cannot fix itself: stop retrying, fail fast.
        if (error.code === 'CONFIG' || error.code === 'CLOSED') {
          this.fatal = error;
          const waiters = [...this.readyWaiters];
          this.readyWaiters.clear();
          for (const waiter of waiters) waiter(error);
          return;
        }
        const delay = Math.min(OPEN_RETRY_MAX_MS, OPEN_RETRY_MIN_MS * 2 ** this.openAttempts++);
        this.openRetryTimer = setTimeout(() => this.open(), delay);
        this.openRetryTimer.unref();
      },
    );
  }

  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.closed) return Promise.reject(this.closedError('whenReady'));
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters.delete(waiter);
        reject(this.notReadyError('whenReady', this.connectTimeoutMs));
      }, this.connectTimeoutMs);
      const waiter = (err: ConnectorError | null): void => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      this.readyWaiters.add(waiter);
    });
  }

  close(callback?: Callback<void>): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return deliver(this.closing, callback) as Promise<void>;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.openRetryTimer) clearTimeout(this.openRetryTimer);
    const waiters = [...this.readyWaiters];
    this.readyWaiters.clear();
    for (const waiter of waiters) waiter(this.closedError('waiting for readiness'));
    // Every in-flight operation is bounded by its own timeout, so this wait is bounded too.
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.opening) await this.opening.catch(noop);
    await withTimeout(this._close(), this.operationTimeoutMs).catch((err: unknown) => {
      this.logger.warn(`[${this.name}] close did not finish cleanly: ${redactText(String(err))}`);
    });
    this.ready = false;
    this.operationDeadlines.dispose();
    this.emit('close');
  }

  // ---------------------------------------------------------------------------------------------
  // Public operations.

  get(key: string): Promise<JsonValue | null>;
  get(key: string, callback: Callback<JsonValue | null>): void;
  get(key: string, callback?: Callback<JsonValue | null>): Promise<JsonValue | null> | void {
    return this.readSingle('get', key, this.toValue, callback);
  }

  getEntry(key: string): Promise<Entry | null>;
  getEntry(key: string, callback: Callback<Entry | null>): void;
  getEntry(key: string, callback?: Callback<Entry | null>): Promise<Entry | null> | void {
    return this.readSingle('getEntry', key, this.toEntry, callback);
  }

  /** `get` and `getEntry`: one read, answered at once where `_getNow` can, else through `_get`. */
  private readSingle<T>(
    operation: string,
    key: string,
    convert: (record: ReadRecord | null) => T,
    callback: Callback<T> | undefined,
  ): Promise<T> | void {
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) return this.reject(operation, invalid, null, callback);
    const fullKey = this.hookPrefix + key;
    if (this._getNow !== undefined && this.isIdle(fullKey)) {
      const started = performance.now();
      let result: T | typeof NOT_NOW;
      try {
        const record = this._getNow(fullKey);
        result = record === undefined ? NOT_NOW : convert(record);
      } catch (err) {
        return this.failNow(operation, started, err, callback);
      }
      if (result !== NOT_NOW) return this.answerNow(operation, started, result, callback);
    }
    return this.run(operation, [fullKey], false, () => this._get(fullKey).then(convert), null, callback);
  }

  private readonly toValue = (record: ReadRecord | null): JsonValue | null => this.valueOfRecord(record);
  private readonly toEntry = (record: ReadRecord | null): Entry | null => this.entryOfRecord(record);

  head(key: string): Promise<number | null>;
  head(key: string, callback: Callback<number | null>): void;
  head(key: string, callback?: Callback<number | null>): Promise<number | null> | void {
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) return this.reject('head', invalid, null, callback);
    const fullKey = this.hookPrefix + key;
    if (this._headNow !== undefined && this.isIdle(fullKey)) {
      const started = performance.now();
      let version: number | null | undefined;
      try {
        version = this._headNow(fullKey);
      } catch (err) {
        return this.failNow('head', started, err, callback);
      }
      if (version !== undefined) return this.answerNow('head', started, version, callback);
    }
    return this.run('head', [fullKey], false, () => this._head(fullKey), null, callback);
  }

  set(key: string, value: JsonValue, options?: SetOptions): Promise<void>;
  set(key: string, value: JsonValue, callback: Callback<void>): void;
  set(key: string, value: JsonValue, options: SetOptions, callback: Callback<void>): void;
  set(
    key: string,
    value: JsonValue,
    optionsOrCallback?: SetOptions | Callback<void>,
    maybeCallback?: Callback<void>,
  ): Promise<void> | void {
    const [options, callback] = splitArgs(optionsOrCallback, maybeCallback);
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) return this.reject('set', invalid, null, callback);
    const fullKey = this.hookPrefix + key;
    let prepared: { record: WriteRecord; ttl: number };
    try {
      prepared = this.prepareWrite(value, options);
    } catch (err) {
      return this.reject('set', err, [fullKey], callback);
    }
    return this.runSetOrDelete('set', fullKey, prepared.record, prepared.ttl, callback);
  }

  delete(key: string): Promise<void>;
  delete(key: string, callback: Callback<void>): void;
  delete(key: string, callback?: Callback<void>): Promise<void> | void {
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) return this.reject('delete', invalid, null, callback);
    return this.runSetOrDelete('delete', this.hookPrefix + key, null, 0, callback);
  }

  compareAndSet(key: string, value: JsonValue, options: CompareAndSetOptions): Promise<void>;
  compareAndSet(key: string, value: JsonValue, options: CompareAndSetOptions, callback: Callback<void>): void;
  compareAndSet(
    key: string,
    value: JsonValue,
    options: CompareAndSetOptions,
    callback?: Callback<void>,
  ): Promise<void> | void {
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) return this.reject('compareAndSet', invalid, null, callback);
    const fullKey = this.hookPrefix + key;
    let prepared: { record: WriteRecord; ttl: number };
    let expected: number | null;
    try {
      if (!this.supports.compareAndSet || !this._compareAndSet) {
        throw new ConnectorError('UNSUPPORTED', `${this.name} does not support compare-and-set`, {
          details: { connector: this.name, operation: 'compareAndSet' },
        });
      }
      if (options === null || typeof options !== 'object' || !('expectedVersion' in options)) {
        throw new ConnectorError(
          'INVALID_OPTION',
          'compareAndSet needs options.expectedVersion (a number, or null for "absent")',
        );
      }
      expected = options.expectedVersion;
      if (expected !== null && !Number.isSafeInteger(expected)) {
        throw new ConnectorError(
          'INVALID_OPTION',
          `expectedVersion must be an integer or null, got ${String(expected)}`,
        );
      }
      prepared = this.prepareWrite(value, options);
    } catch (err) {
      return this.reject('compareAndSet', err, [fullKey], callback);
    }
    const cas = this._compareAndSet.bind(this);
    return this.run(
      'compareAndSet',
      [fullKey],
      true,
      async () => {
        const written = await cas(fullKey, prepared.record, expected, prepared.ttl);
        if (!written) {
          throw new ConnectorError(
            'CONFLICT',
            `Version conflict on "${key}": expected ${expected === null ? 'no record' : `version ${expected}`}`,
            { details: { key, connector: this.name, operation: 'compareAndSet' } },
          );
        }
      },
      null,
      callback,
    );
  }

  getBulk(keys: readonly string[]): Promise<(JsonValue | null)[]>;
  getBulk(keys: readonly string[], callback: Callback<(JsonValue | null)[]>): void;
  getBulk(
    keys: readonly string[],
    callback?: Callback<(JsonValue | null)[]>,
  ): Promise<(JsonValue | null)[]> | void {
    return this.readBulk('getBulk', keys, this.toValue, callback);
  }

  getEntryBulk(keys: readonly string[]): Promise<(Entry | null)[]>;
  getEntryBulk(keys: readonly string[], callback: Callback<(Entry | null)[]>): void;
  getEntryBulk(
    keys: readonly string[],
    callback?: Callback<(Entry | null)[]>,
  ): Promise<(Entry | null)[]> | void {
    return this.readBulk('getEntryBulk', keys, this.toEntry, callback);
  }

  private readBulk<T>(
    operation: string,
    keys: readonly string[],
    convert: (record: ReadRecord | null) => T,
    callback: Callback<T[]> | undefined,
  ): Promise<T[]> | void {
    let fullKeys: string[];
    try {
      fullKeys = this.checkKeys(keys);
    } catch (err) {
      return this.reject(operation, err, null, callback);
    }
    if (fullKeys.length === 0) return this.succeed<T[]>([], callback);
    if (this._getNow !== undefined && this.areIdle(fullKeys)) {
      const started = performance.now();
      let values: T[] | null;
      try {
        const records = readAllNow(fullKeys, (k) => this._getNow!(k));
        values = records === null ? null : records.map(convert);
      } catch (err) {
        return this.failNow(operation, started, err, callback);
      }
      if (values !== null) return this.answerNow(operation, started, values, callback);
    }
    return this.run(
      operation,
      fullKeys,
      false,
      async () => {
        const records = this._getMany
          ? await this._getMany(fullKeys)
          : await Promise.all(fullKeys.map((k) => this._get(k)));
        return records.map((record) => convert(record ?? null));
      },
      null,
      callback,
    );
  }

  /** A read's value, counted as a hit or a miss. */
  private valueOfRecord(record: ReadRecord | null): JsonValue | null {
    if (record === null) {
      this.recorder.misses++;
      return null;
    }
    this.recorder.hits++;
    return readValue(record, this.codec);
  }

  /** A read's entry, counted as a hit or a miss. */
  private entryOfRecord(record: ReadRecord | null): Entry | null {
    if (record === null) {
      this.recorder.misses++;
      return null;
    }
    this.recorder.hits++;
    return { value: readValue(record, this.codec), version: record.version };
  }

  headBulk(keys: readonly string[]): Promise<(number | null)[]>;
  headBulk(keys: readonly string[], callback: Callback<(number | null)[]>): void;
  headBulk(
    keys: readonly string[],
    callback?: Callback<(number | null)[]>,
  ): Promise<(number | null)[]> | void {
    let fullKeys: string[];
    try {
      fullKeys = this.checkKeys(keys);
    } catch (err) {
      return this.reject('headBulk', err, null, callback);
    }
    if (fullKeys.length === 0) return this.succeed<(number | null)[]>([], callback);
    if (this._headNow !== undefined && this.areIdle(fullKeys)) {
      const started = performance.now();
      let versions: (number | null)[] | null;
      try {
        versions = readAllNow(fullKeys, (k) => this._headNow!(k));
      } catch (err) {
        return this.failNow('headBulk', started, err, callback);
      }
      if (versions !== null) return this.answerNow('headBulk', started, versions, callback);
    }
    return this.run(
      'headBulk',
      fullKeys,
      false,
      () => (this._headMany ? this._headMany(fullKeys) : Promise.all(fullKeys.map((k) => this._head(k)))),
      null,
      callback,
    );
  }

  setBulk(entries: readonly BulkSetEntry[], options?: SetOptions): Promise<void>;
  setBulk(entries: readonly BulkSetEntry[], callback: Callback<void>): void;
  setBulk(entries: readonly BulkSetEntry[], options: SetOptions, callback: Callback<void>): void;
  setBulk(
    entries: readonly BulkSetEntry[],
    optionsOrCallback?: SetOptions | Callback<void>,
    maybeCallback?: Callback<void>,
  ): Promise<void> | void {
    const [options, callback] = splitArgs(optionsOrCallback, maybeCallback);
    const items: { key: string; record: WriteRecord }[] = [];
    let ttl: number;
    try {
      if (!Array.isArray(entries))
        throw new ConnectorError('INVALID_OPTION', 'setBulk expects an array of { key, value }');
      // The shared options are checked once; each entry brings its key, value and maybe a version.
      ttl = this.checkWriteOptions(options);
      for (let index = 0; index < entries.length; index++) {
        const entry = entries[index];
        if (entry === null || typeof entry !== 'object') {
          throw new ConnectorError(
            'INVALID_OPTION',
            `setBulk entry ${index} is not an object { key, value }`,
          );
        }
        this.checkKey(entry.key);
        const record = this.encodeRecord(entry.value, entry.version ?? options?.version);
        items.push({ key: this.hookPrefix + entry.key, record });
      }
    } catch (err) {
      return this.reject('setBulk', err, null, callback);
    }
    if (items.length === 0) return this.succeed<void>(undefined, callback);
    return this.run(
      'setBulk',
      items.map((i) => i.key),
      true,
      async () => {
        if (this._setMany) await this._setMany(items, ttl);
        else await Promise.all(items.map((i) => this._set(i.key, i.record, ttl)));
      },
      null,
      callback,
    );
  }

  deleteBulk(keys: readonly string[]): Promise<void>;
  deleteBulk(keys: readonly string[], callback: Callback<void>): void;
  deleteBulk(keys: readonly string[], callback?: Callback<void>): Promise<void> | void {
    let fullKeys: string[];
    try {
      fullKeys = this.checkKeys(keys);
    } catch (err) {
      return this.reject('deleteBulk', err, null, callback);
    }
    if (fullKeys.length === 0) return this.succeed<void>(undefined, callback);
    return this.run(
      'deleteBulk',
      fullKeys,
      true,
      async () => {
        if (this._deleteMany) await this._deleteMany(fullKeys);
        else await Promise.all(fullKeys.map((k) => this._delete(k)));
      },
      null,
      callback,
    );
  }

  stats(): ConnectorStats {
    return this.recorder.snapshot(this.name, this.ready, this.inFlight);
  }

  // ---------------------------------------------------------------------------------------------
  // For drivers that add operations of their own (e.g. a journaled write): the same checks,
  // serialisation, readiness wait, timeout, ordering and stats as the built-in operations.

  /** Runs a write of `value` under `key`; `work` gets the key as hooks take it, the record and the TTL. */
  protected runWrite(
    operation: string,
    key: string,
    value: JsonValue,
    options: SetOptions | undefined,
    work: (fullKey: string, record: WriteRecord, ttl: number) => Promise<void>,
  ): Promise<void> {
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) return this.reject<void>(operation, invalid, null, undefined)!;
    const fullKey = this.hookPrefix + key;
    let prepared: { record: WriteRecord; ttl: number };
    try {
      prepared = this.prepareWrite(value, options);
    } catch (err) {
      return this.reject<void>(operation, err, [fullKey], undefined)!;
    }
    return this.run(
      operation,
      [fullKey],
      true,
      () => work(fullKey, prepared.record, prepared.ttl),
      null,
      undefined,
    )!;
  }

  /** Runs an operation on one key (`isWrite`: ordered after and before other writes of it). */
  protected runKeyed<T>(
    operation: string,
    key: string,
    isWrite: boolean,
    work: (fullKey: string) => Promise<T>,
  ): Promise<T> {
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) return this.reject<T>(operation, invalid, null, undefined)!;
    const fullKey = this.hookPrefix + key;
    return this.run(operation, [fullKey], isWrite, () => work(fullKey), null, undefined)!;
  }

  /** Runs an operation that names no key. */
  protected runUnkeyed<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return this.run(operation, [], false, work, null, undefined)!;
  }

  /**
   * The tiered store's shortcut (see direct-write.ts): `key` was checked and `record` encoded by
   * the store with `codec`, and the store's own operation bounds the time. Only while ready,
   * when the backend keeps order itself and the codec is ours; null sends the store to `set`.
   */
  [DIRECT_WRITE](
    key: string,
    record: WriteRecord | null,
    ttl: number,
    codec: Codec,
    listener: WriteListener,
  ): boolean {
    if (!this.ready || this.closed || !this.preservesOrder || codec !== this.codec) return false;
    const ttlMs = record === null ? 0 : ttl > 0 ? ttl : this.defaultTtl;
    if (ttlMs > 0 && !this.supports.ttl) return false;
    if (record !== null && record.data.byteLength > this.supports.maxValueBytes) return false;
    // Our prefix may push a key the store accepted over our limit: let `set` say so.
    if ((key.length + this.prefix.length) * 3 > this.supports.maxKeyBytes) return false;
    const operation = record === null ? 'delete' : 'set';
    const fullKey = this.hookPrefix + key;
    // Counted here, timed by the store: its operation spans this write, and two clock reads and a
    // histogram update per write were a measurable share of a tiered set.
    this.recorder.countOperation(operation);
    let settled = false;
    const done: WriteDone = (err) => {
      if (settled) return;
      settled = true;
      listener.writeSettled(err === null ? null : this.operationError(operation, err));
    };
    try {
      this.startOrderedWrite(fullKey, record, ttlMs, done, Number.POSITIVE_INFINITY);
    } catch (err) {
      done(err);
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Shared machinery.

  private checkKey(key: string): void {
    const invalid = validateKey(key, this.supports.maxKeyBytes, this.name);
    if (invalid) throw invalid;
  }

  private checkKeys(keys: readonly string[]): string[] {
    if (!Array.isArray(keys))
      throw new ConnectorError('INVALID_KEY', 'Bulk operations expect an array of keys');
    return keys.map((key: string) => {
      this.checkKey(key);
      return this.hookPrefix + key;
    });
  }

  private resolveTtl(options: SetOptions | undefined): number {
    const ttl = options?.ttl ?? this.defaultTtl;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
      throw new ConnectorError(
        'INVALID_OPTION',
        `ttl must be a number of milliseconds >= 0, got ${String(ttl)}`,
      );
    }
    if (ttl > 0 && !this.supports.ttl) {
      throw new ConnectorError('UNSUPPORTED', `${this.name} does not support TTL`, {
        details: { connector: this.name, operation: 'set' },
      });
    }
    return ttl;
  }

  /** Validates and serialises at call time, so later changes to `value` are not stored. */
  private prepareWrite(
    value: JsonValue,
    options: SetOptions | undefined,
  ): { record: WriteRecord; ttl: number } {
    const ttl = this.checkWriteOptions(options);
    return { record: this.encodeRecord(value, options?.version), ttl };
  }

  /** Checks write options; returns the TTL in ms. */
  private checkWriteOptions(options: SetOptions | undefined): number {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new ConnectorError('INVALID_OPTION', 'Write options must be an object like { ttl, version }');
    }
    return this.resolveTtl(options);
  }

  /** Checks the version, validates and serialises the value (within the size limit). */
  private encodeRecord(value: JsonValue, requestedVersion: number | undefined): WriteRecord {
    const version = requestedVersion ?? 0;
    if (!Number.isSafeInteger(version)) {
      throw new ConnectorError('INVALID_OPTION', `version must be an integer, got ${String(version)}`);
    }
    let data: Uint8Array;
    let copy: JsonValue | undefined;
    if (isEncodedValue(value)) data = bytesOfEncoded(value, this.codec);
    else if (this.valuesOnly && this.codec.copyWithSizeBound) {
      const bounded = this.codec.copyWithSizeBound(value);
      if (bounded.maxBytes <= this.supports.maxValueBytes) {
        return new CopiedRecord(bounded.copy, version, bounded.maxBytes);
      }
      // Perhaps too large: measure exactly (the copy is already checked and private).
      copy = bounded.copy;
      data = this.codec.encode(copy);
    } else if (this.readsValues && this.codec.encodeCopy) ({ data, copy } = this.codec.encodeCopy(value));
    else data = this.codec.encode(value);
    if (data.byteLength > this.supports.maxValueBytes) {
      throw new ConnectorError(
        'VALUE_TOO_LARGE',
        `Value is ${data.byteLength} bytes serialised; ${this.name} accepts at most ${this.supports.maxValueBytes}`,
        { details: { connector: this.name, size: data.byteLength, limit: this.supports.maxValueBytes } },
      );
    }
    return new EncodedRecord(data, version, this.codec, copy);
  }

  /** What a failed operation rejects with (counted in the stats). */
  private operationError(operation: string, err: unknown): ConnectorError {
    const error = toConnectorError(err, 'BACKEND', `${this.name} ${operation} failed`, {
      connector: this.name,
      operation,
    });
    this.recorder.recordError(error.code);
    return error;
  }

  /**
   * Fails an operation before it reaches the backend (bad arguments). With its keys (they were
   * valid) it still completes in order behind the earlier operations of those keys.
   */
  private reject<T>(
    operation: string,
    err: unknown,
    fullKeys: readonly string[] | null,
    callback: Callback<T> | undefined,
  ): Promise<T> | undefined {
    let error = toConnectorError(err, 'INVALID_OPTION', `${this.name} ${operation}`);
    this.recorder.recordError(error.code);
    if (this.closed && error.code !== 'CLOSED') error = this.closedError(operation);
    const op = new Operation<T>(fullKeys ?? NO_KEYS, callback);
    if (fullKeys !== null) this.completionOrder.enter(op);
    op.error = error;
    this.completionOrder.complete(op);
    return op.promise;
  }

  /** Succeeds at once with `value` (an empty bulk operation). */
  private succeed<T>(value: T, callback: Callback<T> | undefined): Promise<T> | undefined {
    const op = new Operation<T>(NO_KEYS, callback);
    op.value = value;
    this.completionOrder.complete(op);
    return op.promise;
  }

  /**
   * True when a read of `fullKey` may be answered synchronously (`_getNow`, `_headNow`): the
   * connector is ready and open, and no earlier operation of the key is in flight or held, so
   * the read sees every write issued before it and its outcome is first in its key's order.
   */
  private isIdle(fullKey: string): boolean {
    return (
      this.ready &&
      !this.closed &&
      this.completionOrder.isIdle(fullKey) &&
      (this.preservesOrder || !this.keyOrder.has(fullKey))
    );
  }

  /** `isIdle` for every key of a bulk read. */
  private areIdle(fullKeys: readonly string[]): boolean {
    if (!this.ready || this.closed) return false;
    for (let i = 0; i < fullKeys.length; i++) {
      const key = fullKeys[i]!;
      if (!this.completionOrder.isIdle(key) || (!this.preservesOrder && this.keyOrder.has(key))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Delivers a read answered synchronously: counted and timed like any operation, the outcome
   * settled at once. Nothing of its key was in flight or held (`isIdle`), so it is first in its
   * key's order, and every later operation of the key settles, and queues its callback, after
   * this one has: a promise returned already resolved, or the callback queued on a microtask now
   * (never run inside the call).
   */
  private answerNow<T>(
    operation: string,
    started: number,
    value: T,
    callback: Callback<T> | undefined,
  ): Promise<T> | undefined {
    this.recorder.recordOperation(operation, performance.now() - started);
    if (callback === undefined) return Promise.resolve(value);
    queueMicrotask(() => invoke(callback, null, value));
    return undefined;
  }

  /** A synchronous read that threw: failed like any operation, in the order of `answerNow`. */
  private failNow<T>(
    operation: string,
    started: number,
    err: unknown,
    callback: Callback<T> | undefined,
  ): Promise<T> | undefined {
    this.recorder.recordOperation(operation, performance.now() - started);
    const error = this.operationError(operation, err);
    if (callback === undefined) return Promise.reject(error);
    queueMicrotask(() => invoke(callback, error, undefined));
    return undefined;
  }

  private closedError(operation: string): ConnectorError {
    return new ConnectorError('CLOSED', `${this.name} is closed; ${operation} was not performed`, {
      details: { connector: this.name, operation },
    });
  }

  private notReadyError(operation: string, waitedMs: number): ConnectorError {
    const reason = this.lastError ? `: ${this.lastError.message}` : '';
    return new ConnectorError('NOT_READY', `${this.name} was not ready after ${waitedMs} ms${reason}`, {
      cause: this.lastError ?? undefined,
      details: { connector: this.name, operation },
    });
  }

  /** `set` and `delete` (null record), checked: reported through `done` where the backend keeps order. */
  private runSetOrDelete(
    operation: 'set' | 'delete',
    fullKey: string,
    record: WriteRecord | null,
    ttl: number,
    callback: Callback<void> | undefined,
  ): Promise<void> | undefined {
    if (this.preservesOrder) {
      return this.run<void>(
        operation,
        [fullKey],
        true,
        null,
        (done, deadline) => this.startOrderedWrite(fullKey, record, ttl, done, deadline),
        callback,
      );
    }
    return this.run(operation, [fullKey], true, () => this.setOrDelete(fullKey, record, ttl), null, callback);
  }

  /**
   * A set (or delete, for a null record) on a backend that keeps order itself, reported to
   * `done`: through `_write` where the connector has it, else `_set`/`_delete`.
   */
  private startOrderedWrite(
    fullKey: string,
    record: WriteRecord | null,
    ttl: number,
    done: WriteDone,
    deadline: number,
  ): void {
    if (this._write !== undefined) {
      this._write(fullKey, record, ttl, done, deadline);
      return;
    }
    report(this.setOrDelete(fullKey, record, ttl), done);
  }

  private setOrDelete(fullKey: string, record: WriteRecord | null, ttl: number): Promise<void> {
    return record === null ? this._delete(fullKey) : this._set(fullKey, record, ttl);
  }

  /**
   * Runs one operation: rejects after close, waits for readiness, orders writes per key when the
   * backend does not, bounds everything by the operation timeout, and hands the outcome to the
   * caller exactly once, after the outcomes of the earlier operations on its keys. The work
   * either returns a promise (`work`) or, on a connector that keeps order itself, reports through
   * the operation's own completion callback (`reportingWork`, see `_write`). Returns the
   * caller's promise, or undefined when the caller gave a callback.
   */
  private run<T>(
    operation: string,
    keys: string[],
    isWrite: boolean,
    work: (() => Promise<T>) | null,
    reportingWork: ((done: WriteDone, deadline: number) => void) | null,
    callback: Callback<T> | undefined,
  ): Promise<T> | undefined {
    if (this.closed) return this.reject(operation, this.closedError(operation), keys, callback);
    if (this.fatal) return this.reject(operation, this.fatal, keys, callback);
    const op = new Operation<T>(keys, callback);
    this.completionOrder.enter(op);
    const started = performance.now();
    this.inFlight++;
    let settled = false;
    let waitingForReady = false;
    let readyWaiter: ((err: ConnectorError | null) => void) | null = null;
    const finish = (err: unknown, value?: T): void => {
      if (settled) return;
      settled = true;
      this.operationDeadlines.cancel(deadline);
      if (readyWaiter) this.readyWaiters.delete(readyWaiter);
      this.recorder.recordOperation(operation, performance.now() - started);
      if (--this.inFlight === 0 && this.idleWaiters.length > 0) {
        for (const idle of this.idleWaiters.splice(0)) idle();
      }
      if (err === null) op.value = value;
      else op.error = this.operationError(operation, err);
      this.completionOrder.complete(op);
    };
    const deadline = this.operationDeadlines.add(() =>
      finish(
        waitingForReady
          ? this.notReadyError(operation, this.operationTimeoutMs)
          : new ConnectorError(
              'TIMEOUT',
              `${this.name} ${operation} timed out after ${this.operationTimeoutMs} ms`,
              {
                details: { connector: this.name, operation },
              },
            ),
      ),
    );
    const start = (): void => {
      if (reportingWork !== null) {
        try {
          reportingWork(finish, started + this.operationTimeoutMs);
        } catch (err) {
          finish(err);
        }
        return;
      }
      let promise: Promise<T>;
      try {
        promise = this.preservesOrder ? work!() : this.keyOrder.start(keys, isWrite, work!);
      } catch (err) {
        finish(err);
        return;
      }
      if (isWrite && !this.preservesOrder) {
        // The write holds its keys in the key order until it settles, even after a timeout.
        promise.then(
          (value) => {
            this.keyOrder.settled(keys, promise);
            finish(null, value);
          },
          (err: unknown) => {
            this.keyOrder.settled(keys, promise);
            finish(err);
          },
        );
        return;
      }
      promise.then(
        (value) => finish(null, value),
        (err: unknown) => finish(err),
      );
    };
    if (this.ready) {
      start();
    } else {
      waitingForReady = true;
      readyWaiter = (err) => {
        readyWaiter = null;
        waitingForReady = false;
        if (err) finish(err);
        else if (!settled) start();
      };
      this.readyWaiters.add(readyWaiter);
    }
    return op.promise;
  }
}

// Connectors on the base class store bytes another kit connector already encoded (see encoded-value.ts).
markAcceptsEncodedValues(BaseConnector.prototype);

/**
 * Reads every key with a synchronous hook; null as soon as one cannot answer now (the bulk read
 * then takes the asynchronous path, and nothing was counted yet).
 */
function readAllNow<R>(keys: readonly string[], readNow: (key: string) => R | undefined): R[] | null {
  const results: R[] = new Array<R>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const result = readNow(keys[i]!);
    if (result === undefined) return null;
    results[i] = result;
  }
  return results;
}

function splitArgs(
  optionsOrCallback: SetOptions | Callback<void> | undefined,
  maybeCallback: Callback<void> | undefined,
): [SetOptions | undefined, Callback<void> | undefined] {
  if (typeof optionsOrCallback === 'function') return [undefined, optionsOrCallback];
  return [optionsOrCallback, maybeCallback];
}

function positiveNumber(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConnectorError(
      'CONFIG',
      `Option ${field} must be a positive number of milliseconds, got ${String(value)}`,
      {
        details: { field },
      },
    );
  }
  return value;
}

function nonNegativeNumber(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConnectorError(
      'CONFIG',
      `Option ${field} must be a number of milliseconds >= 0, got ${String(value)}`,
      {
        details: { field },
      },
    );
  }
  return value;
}

/** Rejects with TIMEOUT if `promise` takes longer than `ms`. */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  code: ErrorCode = 'TIMEOUT',
  message = `timed out after ${ms} ms`,
): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectorError(code, message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
