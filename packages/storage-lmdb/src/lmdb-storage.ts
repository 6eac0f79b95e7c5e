import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  BaseConnector,
  ConnectorError,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';
import { open, type Database, type RootDatabase } from 'lmdb';
import { mergeOptions, resolveSettings, type LmdbSettings, type LmdbStorageOptions } from './options';
import {
  EXPIRING_HEADER_BYTES,
  asBuffer,
  dataStart,
  encodeKey,
  encodeRecord,
  expiryIndexEnd,
  expiryIndexKey,
  hasExpired,
  hasExpiredNow,
  readExpiryIndexKey,
  versionOf,
} from './record';

export const LMDB_STORAGE_VERSION = '0.1.0';

/** Named databases inside the environment (never the root database, whose keys name them). */
const RECORDS_DB = 'records';
const EXPIRY_DB = 'expiry';
const EMPTY = Buffer.alloc(0);
const noop = (): void => undefined;

/** Errors from opening a directory that retrying will not fix. */
const CONFIG_ERRNOS = new Set([
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EISDIR',
  'EROFS',
  'ENOENT',
  'EEXIST',
  'ELOOP',
  'ENAMETOOLONG',
  'EINVAL',
]);

type Bytes = Database<Buffer, Buffer>;

/**
 * Embedded durable storage on LMDB (the `lmdb` package): one memory-mapped B+tree in a
 * directory, ACID transactions, reads in the calling thread, writes batched per event turn and
 * committed on lmdb's write thread. A write is acknowledged once its transaction is flushed to
 * disk (`durability: 'flushed'`, the default) or committed (`'committed'`).
 */
export class LmdbStorage extends BaseConnector {
  readonly settings: Readonly<LmdbSettings>;
  private environment: Environment | null = null;
  private env: RootDatabase | null = null;
  private records: Bytes | null = null;
  private expiry: Bytes | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;

  constructor(options: LmdbStorageOptions) {
    const merged = mergeOptions(options);
    const settings = resolveSettings(merged);
    super(
      { ...merged, prefix: settings.prefix },
      {
        name: 'lmdb',
        version: LMDB_STORAGE_VERSION,
        supports: {
          ttl: true,
          ttlGranularityMs: 1,
          bulk: true,
          compareAndSet: true,
          maxKeyBytes: settings.maxKeyBytes,
          maxValueBytes: settings.maxValueBytes,
          persistent: true,
        },
      },
    );
    this.settings = Object.freeze(settings);
  }

  /** The data directory (absolute). */
  get path(): string {
    return this.settings.path;
  }

  protected _open(): Promise<void> {
    let environment: Environment;
    try {
      environment = acquireEnvironment(this.settings.path);
    } catch (err) {
      return Promise.reject(openError(this.settings.path, err));
    }
    this.environment = environment;
    this.env = environment.env;
    this.records = environment.records;
    this.expiry = environment.expiry;
    if (this.settings.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => {
        this.sweepExpired().catch((err: unknown) => this.reportError(err));
      }, this.settings.sweepIntervalMs);
      this.sweepTimer.unref();
    }
    return Promise.resolve();
  }

  protected _get(key: string): Promise<ReadRecord | null> {
    return Promise.resolve(this.read(key));
  }

  /** Reads complete in this thread (from the memory map): the base class uses these directly. */
  protected override _getNow(key: string): ReadRecord | null {
    return this.read(key);
  }

  protected override _head(key: string): Promise<number | null> {
    return Promise.resolve(this.headNow(key));
  }

  protected override _headNow(key: string): number | null {
    return this.headNow(key);
  }

  protected override _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    return Promise.resolve(keys.map((key) => this.read(key)));
  }

  protected override _headMany(keys: string[]): Promise<(number | null)[]> {
    const records = this.db();
    const now = Date.now();
    return Promise.resolve(
      keys.map((key) => {
        const stored = readStored(records, encodeKey(key));
        if (stored === undefined) return null;
        dataStart(stored, key);
        return hasExpired(stored, now) ? null : versionOf(stored);
      }),
    );
  }

  protected _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    return this.acknowledgedVoid(this.put(encodeKey(key), record, ttl));
  }

  protected override _setMany(items: { key: string; record: WriteRecord }[], ttl: number): Promise<void> {
    // Issued in one event turn, so lmdb commits them in one transaction.
    const writes = items.map((item) => this.put(encodeKey(item.key), item.record, ttl));
    return this.acknowledgedVoid(Promise.all(writes));
  }

  protected _delete(key: string): Promise<void> {
    return this.acknowledgedVoid(this.db().remove(encodeKey(key)));
  }

  protected override _deleteMany(keys: string[]): Promise<void> {
    const records = this.db();
    return this.acknowledgedVoid(Promise.all(keys.map((key) => records.remove(encodeKey(key)))));
  }

  protected override _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const records = this.db();
    const expiry = this.expiry!;
    const storedKey = encodeKey(key);
    const expiresAt = ttl > 0 ? Date.now() + ttl : 0;
    const value = encodeRecord(record.version, record.data, expiresAt);
    // The callback runs inside lmdb's write transaction: the check and the write are one atomic
    // step, also against other processes writing the same directory.
    const written = records.transaction(() => {
      const stored = readStored(records, storedKey);
      let current: number | null = null;
      if (stored !== undefined) {
        dataStart(stored, key);
        if (!hasExpired(stored, Date.now())) current = versionOf(stored);
      }
      if (current !== expectedVersion) return false;
      if (expiresAt > 0) expiry.putSync(expiryIndexKey(expiresAt, storedKey), EMPTY);
      records.putSync(storedKey, value);
      return true;
    });
    return this.acknowledged(written);
  }

  protected async _close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping?.catch(() => undefined);
    const environment = this.environment;
    this.environment = this.env = this.records = this.expiry = null;
    if (environment) await releaseEnvironment(environment);
  }

  /**
   * Removes expired records from disk (reads already treat them as absent) and returns how many.
   * Runs every `sweepIntervalMs`; callable at any time. Each batch is one write transaction that
   * checks each record again, so a record rewritten meanwhile is kept.
   */
  sweepExpired(): Promise<number> {
    if (this.sweeping) return this.sweeping;
    if (!this.env) return Promise.resolve(0);
    const sweep = this.sweepBatches().finally(() => {
      if (this.sweeping === sweep) this.sweeping = null;
    });
    this.sweeping = sweep;
    return sweep;
  }

  private async sweepBatches(): Promise<number> {
    let removed = 0;
    for (;;) {
      const records = this.records;
      const expiry = this.expiry;
      if (!records || !expiry) return removed;
      const now = Date.now();
      const due: Buffer[] = [];
      for (const indexKey of expiry.getKeys({
        end: expiryIndexEnd(now),
        limit: this.settings.sweepBatchSize,
      })) {
        due.push(Buffer.from(indexKey));
      }
      if (due.length === 0) return removed;
      removed += await this.acknowledged(
        records.transaction(() => {
          let count = 0;
          for (const indexKey of due) {
            const { storedKey } = readExpiryIndexKey(indexKey);
            const stored = readStored(records, storedKey);
            // Only a record of ours that is still expired (one rewritten since is kept; bytes
            // another program wrote are left for reads to report as CORRUPT).
            if (
              stored !== undefined &&
              stored.byteLength >= EXPIRING_HEADER_BYTES &&
              hasExpired(stored, now)
            ) {
              records.removeSync(storedKey);
              count++;
            }
            expiry.removeSync(indexKey);
          }
          return count;
        }),
      );
      if (due.length < this.settings.sweepBatchSize) return removed;
    }
  }

  private db(): Bytes {
    if (!this.records) throw new ConnectorError('CLOSED', `The LMDB environment at ${this.path} is closed`);
    return this.records;
  }

  private headNow(key: string): number | null {
    const stored = readStored(this.db(), encodeKey(key));
    if (stored === undefined) return null;
    dataStart(stored, key);
    return hasExpiredNow(stored) ? null : versionOf(stored);
  }

  private read(key: string): ReadRecord | null {
    const stored = readStored(this.db(), encodeKey(key));
    if (stored === undefined) return null;
    const start = dataStart(stored, key);
    if (hasExpiredNow(stored)) return null;
    // The buffer is lmdb's, reused by the next read: decode now (a fresh value per call).
    return { version: versionOf(stored), value: this.codec.decode(stored.subarray(start)) };
  }

  /** Queues a put of the record (and, with a TTL, its expiry index entry first). */
  private put(storedKey: Buffer, record: WriteRecord, ttl: number): Promise<boolean> {
    const records = this.db();
    if (ttl > 0) {
      const expiresAt = Date.now() + ttl;
      // The index entry is queued first: a crash between the two leaves an entry the sweep drops,
      // never an expiring record the sweep does not know about. The write is done when both are
      // (and fails, never unhandled, if either does).
      const indexed = this.expiry!.put(expiryIndexKey(expiresAt, storedKey), EMPTY);
      const written = records.put(storedKey, encodeRecord(record.version, record.data, expiresAt));
      return Promise.all([indexed, written]).then(([, result]) => result);
    }
    return records.put(storedKey, encodeRecord(record.version, record.data, 0));
  }

  /**
   * The write's promise settles at commit; with `durability: 'flushed'` the acknowledgement also
   * waits for lmdb's `flushed` (every write issued so far is on disk). Taken right after the
   * write is queued, so it covers it.
   */
  private acknowledged<T>(write: Promise<T>): Promise<T> {
    if (this.settings.durability === 'committed' || !this.env) return write;
    return Promise.all([write, this.flushed(this.env)]).then(([result]) => result);
  }

  /** `acknowledged`, for a write whose result nobody reads (one promise fewer per write). */
  private acknowledgedVoid(write: Promise<unknown>): Promise<void> {
    if (this.settings.durability === 'committed' || !this.env) return write.then(noop);
    return Promise.all([write, this.flushed(this.env)]).then(noop);
  }

  /**
   * lmdb's `flushed` is a thenable that looks at the writes queued when its `then` is called:
   * called here, right after the write was queued (a `Promise.all` would call it a microtask later).
   */
  private flushed(env: RootDatabase): Promise<void> {
    return env.flushed.then(noop);
  }
}

/**
 * One lmdb environment per directory in a process, shared by every LmdbStorage on it: each then
 * reads the others' writes at once (lmdb renews a reader's snapshot of writes made through other
 * environments only on a zero-delay timer), and their writes share one write queue and batches.
 */
interface Environment {
  readonly path: string;
  readonly env: RootDatabase;
  readonly records: Bytes;
  readonly expiry: Bytes;
  users: number;
}

const environments = new Map<string, Environment>();

function acquireEnvironment(path: string): Environment {
  const existing = environments.get(path);
  if (existing) {
    existing.users++;
    return existing;
  }
  ensureDirectory(path);
  // noSubdir: lmdb would otherwise take a path with an extension (`records.db`) for a file.
  const env = open({ path, maxDbs: 4, noSubdir: false });
  let environment: Environment;
  try {
    environment = {
      path,
      env,
      records: env.openDB<Buffer, Buffer>(RECORDS_DB, { encoding: 'binary', keyEncoding: 'binary' }),
      expiry: env.openDB<Buffer, Buffer>(EXPIRY_DB, { encoding: 'binary', keyEncoding: 'binary' }),
      users: 1,
    };
  } catch (err) {
    void env.close().catch(() => undefined);
    throw err;
  }
  environments.set(path, environment);
  return environment;
}

/** Closes the environment when its last user lets go (lmdb finishes queued writes first). */
async function releaseEnvironment(environment: Environment): Promise<void> {
  if (--environment.users > 0) return;
  if (environments.get(environment.path) === environment) environments.delete(environment.path);
  await environment.env.close();
}

/**
 * The stored bytes of a key, valid until the next read. lmdb's `getBinaryFast` returns a Buffer,
 * except for large values (a plain Uint8Array): a Buffer over the same bytes either way.
 */
function readStored(db: Bytes, storedKey: Buffer): Buffer | undefined {
  const found = db.getBinaryFast(storedKey);
  return found === undefined ? undefined : asBuffer(found);
}

/**
 * Creates the directory and its missing parents. (Not `mkdirSync(…, { recursive: true })`,
 * which loops forever under /proc on Node 20; lmdb calls it only for a path that is missing.)
 */
function ensureDirectory(path: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = dirname(path);
    if (parent !== path) ensureDirectory(parent);
    try {
      mkdirSync(path);
    } catch (mkdirErr) {
      if ((mkdirErr as NodeJS.ErrnoException).code !== 'EEXIST') throw mkdirErr;
    }
    stats = statSync(path);
  }
  if (!stats.isDirectory()) {
    const err = new Error(`${path} is not a directory`) as NodeJS.ErrnoException;
    err.code = 'ENOTDIR';
    throw err;
  }
}

function openError(path: string, err: unknown): ConnectorError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  // lmdb reports some system errors by number (20: ENOTDIR).
  const configuration =
    (typeof code === 'string' && CONFIG_ERRNOS.has(code)) ||
    (typeof code === 'number' && [1, 2, 13, 17, 20, 21, 30].includes(code));
  return new ConnectorError(
    configuration ? 'CONFIG' : 'BACKEND',
    `Cannot open the LMDB data directory ${path}: ${message}`,
    { cause: err, details: { field: 'path', path } },
  );
}
