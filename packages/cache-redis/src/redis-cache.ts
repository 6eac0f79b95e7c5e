import {
  BaseConnector,
  ConnectorError,
  type JournalEntry,
  type JsonValue,
  type ReadRecord,
  type SetOptions,
  type Supports,
  type WriteDone,
  type WriteRecord,
} from '@connector-kit/connector-core';
import type { Redis } from 'ioredis';
import * as journal from './journal';
import { createClient } from './client-factory';
import type { Client } from './commands';
import { connectorParamsFromUrl, type Endpoint } from './endpoint';
import {
  checkOptionNames,
  nonNegativeNumber,
  planConnections,
  positiveInteger,
  type ConnectionPlan,
} from './option-checks';
import { encodeHeader } from './record-format';
import { RedisLink, type LinkListener } from './redis-link';
import { REDIS_CACHE_DEFAULTS, type RedisCacheOptions } from './options';
import { CONNECTOR_VERSION } from './version';

/**
 * The Redis cache connector (ioredis). One record is one Redis string, `v<version>:<data>` (see
 * record-format), so version and data are always written by one SET. Operations issued in the
 * same tick are coalesced into multi-key commands (see Batcher); writes go to `masterUrl` when
 * given.
 */
export class RedisCache extends BaseConnector {
  private readonly plan: ConnectionPlan;
  private readonly settings: Required<
    Pick<RedisCacheOptions, 'maxBatchKeys' | 'reconnectMaxDelayMs' | 'stallTimeoutMs'>
  >;
  private readonly extra: Pick<RedisCacheOptions, 'redisOptions' | 'clusterOptions'>;
  private links: RedisLink[] = [];
  private reader: RedisLink | null = null;
  private writer: RedisLink | null = null;
  private lastReportedError = '';
  private hasBeenReady = false;
  /**
   * True when this connector can keep a tiered store's dirty-key journal atomically with its
   * writes (connector-core's JournalingCache): one standalone connection, not a cluster.
   */
  readonly journaling: boolean;

  constructor(options: RedisCacheOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new ConnectorError(
        'CONFIG',
        'RedisCache expects an options object (or use createConnector(url))',
      );
    }
    checkOptionNames(options);
    const merged: RedisCacheOptions = { ...connectorParamsFromUrl(options.url), ...options };
    const plan = planConnections(merged);
    const maxValueBytes = positiveInteger(
      merged.maxValueBytes,
      REDIS_CACHE_DEFAULTS.maxValueBytes,
      'maxValueBytes',
    );
    const maxKeyBytes = positiveInteger(merged.maxKeyBytes, REDIS_CACHE_DEFAULTS.maxKeyBytes, 'maxKeyBytes');
    // Everything is validated before super(): the base class schedules the connection from there.
    const settings = {
      maxBatchKeys: positiveInteger(merged.maxBatchKeys, REDIS_CACHE_DEFAULTS.maxBatchKeys, 'maxBatchKeys'),
      reconnectMaxDelayMs: positiveInteger(
        merged.reconnectMaxDelayMs,
        REDIS_CACHE_DEFAULTS.reconnectMaxDelayMs,
        'reconnectMaxDelayMs',
      ),
      stallTimeoutMs: nonNegativeNumber(
        merged.stallTimeoutMs,
        REDIS_CACHE_DEFAULTS.stallTimeoutMs,
        'stallTimeoutMs',
      ),
    };
    const ownsOneConnection =
      plan.client === null && plan.writer === null && plan.reader?.topology.kind !== 'cluster';
    const supports: Supports = {
      ttl: true,
      ttlGranularityMs: 1,
      bulk: true,
      compareAndSet: true,
      maxKeyBytes,
      maxValueBytes,
      persistent: true,
    };
    super(merged, {
      name: 'redis',
      version: CONNECTOR_VERSION,
      supports,
      // One connection we configured answers in order and never re-sends, and the batcher keeps
      // issue order per key. A cluster (redirections), a replica for reads, or a caller's client
      // (whose options we do not control) get the base class's per-key ordering instead.
      preservesOrder: ownsOneConnection,
    });
    this.plan = plan;
    this.journaling = plan.writer === null && plan.reader?.topology.kind !== 'cluster';
    this.settings = settings;
    this.extra = { redisOptions: merged.redisOptions, clusterOptions: merged.clusterOptions };
  }

  /** The ioredis client reads go to (for diagnostics; do not close it). */
  get client(): Client | null {
    return this.reader?.client ?? null;
  }

  // ---------------------------------------------------------------------------------------------
  // Connection.

  protected async _open(): Promise<void> {
    if (this.links.length === 0) {
      try {
        this.connect();
      } catch (err) {
        // ioredis refused its options (e.g. something in redisOptions): retrying cannot help.
        const reason = err instanceof Error ? err.message : String(err);
        throw new ConnectorError('CONFIG', `Cannot create the ioredis client: ${reason}`, { cause: err });
      }
    }
    await Promise.all(this.links.map((link) => link.whenReady(this.connectTimeoutMs)));
  }

  private connect(): void {
    const listener: LinkListener = {
      onReady: () => {
        if (!this.links.every((link) => link.ready)) return;
        this.hasBeenReady = true;
        this.lastReportedError = '';
        this.markReady();
      },
      // markUnavailable emits 'error' (once: only when it was ready).
      onLost: (err) => this.markUnavailable(err),
      onError: (err) => this.handleLinkError(err),
    };
    const makeLink = (endpoint: Endpoint | null, client: Client | null): RedisLink => {
      const owned = client === null;
      const actual =
        client ??
        createClient(endpoint!, {
          connectTimeoutMs: this.connectTimeoutMs,
          reconnectMaxDelayMs: this.settings.reconnectMaxDelayMs,
          ...this.extra,
        });
      const where = endpoint?.redacted ?? describeClient(actual);
      return new RedisLink(
        actual,
        {
          where,
          owned,
          maxBatchKeys: this.settings.maxBatchKeys,
          stallTimeoutMs: this.settings.stallTimeoutMs,
        },
        listener,
      );
    };
    this.reader = makeLink(this.plan.reader, this.plan.client);
    this.writer = this.plan.writer ? makeLink(this.plan.writer, null) : this.reader;
    this.links = this.writer === this.reader ? [this.reader] : [this.reader, this.writer];
    for (const link of this.links) link.start();
  }

  /**
   * Connection errors. Until the first 'ready' the failing _open reports them (with backoff). A
   * lost connection is reported once, by onLost; the reconnection errors that follow are only
   * remembered, so that NOT_READY failures say why — except rejected credentials, which need a
   * person and are reported (once).
   */
  private handleLinkError(err: ConnectorError): void {
    if (this.isClosing) return;
    if (this.hasBeenReady && err.code === 'CONFIG' && err.message !== this.lastReportedError) {
      this.lastReportedError = err.message;
      this.reportError(err);
    }
    if (!this.isReady) this.markUnavailable(err);
  }

  protected async _close(): Promise<void> {
    await Promise.all(this.links.map((link) => link.close()));
  }

  private get readBatcher(): RedisLink['batcher'] {
    return this.reader!.batcher;
  }

  private get writeBatcher(): RedisLink['batcher'] {
    return this.writer!.batcher;
  }

  // ---------------------------------------------------------------------------------------------
  // Operations (keys already carry the prefix).

  protected _get(key: string): Promise<ReadRecord | null> {
    return this.readBatcher.getOne(key);
  }

  protected override _head(key: string): Promise<number | null> {
    return this.readBatcher.headOne(key);
  }

  // Records go to the batcher as they are (version and the codec's bytes, taken at call time);
  // the stored shape `v<version>:<data>` is written when the command is encoded.
  protected _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    return this.writeBatcher.set([key], [record], ttlMs(ttl));
  }

  protected _delete(key: string): Promise<void> {
    return this.writeBatcher.delete([key]);
  }

  // set and delete (and a tiered store's shortcut): one batched write, no promise of its own.
  protected override _write(key: string, record: WriteRecord | null, ttl: number, done: WriteDone): void {
    this.writeBatcher.write(key, record, ttlMs(ttl), done);
  }

  protected override _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    return this.readBatcher.get(keys);
  }

  protected override _headMany(keys: string[]): Promise<(number | null)[]> {
    return this.readBatcher.head(keys);
  }

  protected override _setMany(items: { key: string; record: WriteRecord }[], ttl: number): Promise<void> {
    return this.writeBatcher.set(
      items.map((item) => item.key),
      items.map((item) => item.record),
      ttlMs(ttl),
    );
  }

  protected override _deleteMany(keys: string[]): Promise<void> {
    return this.writeBatcher.delete(keys);
  }

  protected override _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const expectedHeader = expectedVersion === null ? '' : encodeHeader(expectedVersion);
    return this.writeBatcher.compareAndSet(key, expectedHeader, record, ttlMs(ttl));
  }

  // ---------------------------------------------------------------------------------------------
  // The tiered store's dirty-key journal (JournalingCache). Journaled writes go through the
  // batcher like every other write (per-key order holds between the two kinds); each tick's
  // become one atomic script call per journal (see journal.ts).

  private journalClient(operation: string): Redis {
    const client = this.writer?.client;
    if (!this.journaling || !client || client.isCluster) {
      throw new ConnectorError(
        'UNSUPPORTED',
        `${operation} needs a standalone Redis connection, not a cluster`,
      );
    }
    return client as Redis;
  }

  setJournaled(
    key: string,
    value: JsonValue,
    options: SetOptions & { journal: string; token: string },
  ): Promise<void> {
    return this.runWrite('setJournaled', key, value, options, (fullKey, record, ttl) => {
      this.journalClient('setJournaled'); // refuses a cluster: the script needs one standalone connection
      return this.writeBatcher.journaled(
        this.prefix + options.journal,
        fullKey,
        record,
        ttlMs(ttl),
        `${options.token}|set`,
      );
    });
  }

  deleteJournaled(key: string, options: { journal: string; token: string }): Promise<void> {
    return this.runKeyed('deleteJournaled', key, true, (fullKey) => {
      this.journalClient('deleteJournaled'); // refuses a cluster: the script needs one standalone connection
      return this.writeBatcher.journaled(
        this.prefix + options.journal,
        fullKey,
        null,
        0,
        `${options.token}|delete`,
      );
    });
  }

  readJournal(name: string): Promise<JournalEntry[]> {
    return this.runUnkeyed('readJournal', () =>
      journal.readJournal(this.journalClient('readJournal'), this.prefix + name, (k) =>
        k.slice(this.prefix.length),
      ),
    );
  }

  clearJournal(name: string, entries: readonly { key: string; token: string }[]): Promise<void> {
    const stored = entries.map((e) => ({ key: this.prefix + e.key, token: e.token }));
    return this.runUnkeyed('clearJournal', () =>
      journal.clearJournal(this.journalClient('clearJournal'), this.prefix + name, stored),
    );
  }
}

/** Redis PX takes whole milliseconds; round up so a TTL never ends early. */
function ttlMs(ttl: number): number {
  return ttl > 0 ? Math.ceil(ttl) : 0;
}

function describeClient(client: Client): string {
  if (client.isCluster) return 'the given Redis Cluster client';
  const options = client.options as { host?: string; port?: number };
  return `the given Redis client (${options.host ?? '?'}:${options.port ?? '?'})`;
}
