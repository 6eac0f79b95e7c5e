import {
  BaseConnector,
  ConnectorError,
  resolveCodec,
  toConnectorError,
  type ReadRecord,
  type WriteRecord,
} from '@connector-kit/connector-core';
import { FailoverPlan } from './failover';
import { GetBatcher } from './get-batcher';
import { encodeItem, maxItemDataBytes, maxValueBytes, readItem, readItemVersion } from './item';
import { KeyEncoder } from './keys';
import {
  resolveMemcachedOptions,
  type MemcachedCacheOptions,
  type ResolvedMemcachedOptions,
} from './options';
import { ServerHealth } from './server-health';
import { Transport } from './transport';
import { toExptime } from './ttl';

/** Longest kit key accepted: longer or unsafe keys are hashed, so this only bounds hashing work. */
export const MEMCACHED_MAX_KIT_KEY_BYTES = 64 * 1024;

/** Payload of the `serverDown` / `serverUp` events. */
export interface ServerEvent {
  /** `host:port` as configured. */
  server: string;
  /** Why it was marked down (`serverDown` only). */
  error?: ConnectorError;
}

type StoreVerb = 'set' | 'add' | 'cas';

/**
 * A cache connector for a memcached server or a client-side-sharded pool of them, on the
 * `memcached` npm client. URL: `memcached://host1:11211,host2:11211?poolSize=10#prefix`.
 *
 * Events besides `ready`/`error`/`close`: `serverDown` and `serverUp` ({ server, error? }) when a
 * server of the pool is marked down or answers again. A down server is also reported as
 * `'error'`; when every server is down the connector is not ready until one returns.
 */
export class MemcachedCache extends BaseConnector {
  private readonly settings: ResolvedMemcachedOptions;
  private readonly keys: KeyEncoder;
  private readonly health: ServerHealth;
  private readonly transport: Transport;
  private readonly batcher: GetBatcher;
  private readonly failover: FailoverPlan;
  private readonly maxItemData: number;
  private opened = false;

  constructor(options: MemcachedCacheOptions = {}) {
    const settings = resolveMemcachedOptions(options);
    super(options, {
      name: 'memcached',
      version: '0.1.0',
      supports: {
        ttl: true,
        ttlGranularityMs: 1000,
        bulk: true,
        compareAndSet: true,
        maxKeyBytes: MEMCACHED_MAX_KIT_KEY_BYTES,
        maxValueBytes: maxValueBytes(settings.maxItemBytes, resolveCodec(options.codec)),
        // Entries outlive the connector (until memcached evicts them or restarts).
        persistent: true,
      },
    });
    this.settings = settings;
    this.maxItemData = maxItemDataBytes(settings.maxItemBytes);
    this.keys = new KeyEncoder(this.prefix);
    const everyServer = [...settings.servers, ...settings.failOverServers];
    this.health = new ServerHealth(
      everyServer,
      { failures: settings.failures, retryMs: settings.retry },
      {
        probe: (server) =>
          this.transport.send(server, 'version', 'version', { probe: true }).then(() => undefined),
        onDown: (server, error) => this.onServerDown(server, error),
        onUp: (server) => this.onServerUp(server),
      },
    );
    this.transport = new Transport(settings, this.health, this.operationTimeoutMs);
    this.batcher = new GetBatcher(this.transport);
    this.failover = new FailoverPlan(
      settings.servers,
      { spares: settings.failOverServers, remove: settings.remove },
      this.transport.ringControl(),
      (server) => this.health.downError(server) !== null,
    );
  }

  /** The servers (`host:port`) this connector spreads keys over. */
  get servers(): readonly string[] {
    return this.settings.servers;
  }

  /** The memcached key a kit key is stored under (prefix applied). */
  memcachedKey(key: string): string {
    return this.keys.encode(this.prefix + key);
  }

  /** The server (`host:port`) a kit key is stored on now (fail-over may have moved it). */
  serverFor(key: string): string {
    return this.transport.route(this.memcachedKey(key));
  }

  /** Who serves each configured server's keys now: itself, a spare, or null (removed). */
  failoverState(): Record<string, string | null> {
    return this.failover.snapshot();
  }

  // ---------------------------------------------------------------------------------------------
  // Connection state.

  /**
   * Asks every server for its settings: at least one must answer, and every server that answers
   * must accept items of `maxItemBytes` (else values near the limit would fail with SERVER_ERROR).
   */
  protected async _open(): Promise<void> {
    const unreachable = new Map<string, ConnectorError>();
    const everyServer = [...this.settings.servers, ...this.settings.failOverServers];
    await Promise.all(
      everyServer.map(async (server) => {
        let reply: unknown;
        try {
          reply = await this.transport.send(server, 'stats settings', 'stats settings', { probe: true });
        } catch (err) {
          unreachable.set(server, toConnectorError(err, 'BACKEND', `memcached server ${server}`));
          return;
        }
        const limit = (reply as { item_size_max?: unknown } | undefined)?.item_size_max;
        if (typeof limit === 'number' && limit < this.settings.maxItemBytes) {
          throw new ConnectorError(
            'CONFIG',
            `Option maxItemBytes is ${this.settings.maxItemBytes}, but memcached at ${server} accepts items of at most ` +
              `${limit} bytes (its -I setting): lower maxItemBytes or raise -I`,
            { details: { field: 'maxItemBytes', server, serverLimit: limit } },
          );
        }
      }),
    );
    if (unreachable.size === everyServer.length) {
      const reasons = [...unreachable.values()].map((e) => e.message).join('; ');
      throw new ConnectorError('BACKEND', `No memcached server is reachable: ${reasons}`);
    }
    this.opened = true;
    this.health.start(unreachable);
  }

  private onServerDown(server: string, error: ConnectorError): void {
    this.transport.failInFlight(server, error);
    this.failover.onDown(server);
    this.emit('serverDown', { server, error } satisfies ServerEvent);
    if (this.failover.usable) this.reportError(error);
    else this.markUnavailable(error);
  }

  private onServerUp(server: string): void {
    this.failover.onUp(server);
    this.emit('serverUp', { server } satisfies ServerEvent);
    if (this.opened && this.failover.usable) this.markReady();
  }

  protected async _close(): Promise<void> {
    this.health.close();
    this.transport.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Reads. memcached cannot read part of an item, so `head` reads the item and parses only its
  // header. Reads issued in the same tick share one multi-get per server.

  protected async _get(key: string): Promise<ReadRecord | null> {
    const raw = await this.batcher.get(this.keys.encode(key));
    return raw === undefined ? null : readItem(raw, this.codec);
  }

  protected override async _head(key: string): Promise<number | null> {
    const raw = await this.batcher.get(this.keys.encode(key));
    return raw === undefined ? null : readItemVersion(raw);
  }

  protected override _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    return Promise.all(keys.map((key) => this._get(key)));
  }

  protected override _headMany(keys: string[]): Promise<(number | null)[]> {
    return Promise.all(keys.map((key) => this._head(key)));
  }

  // ---------------------------------------------------------------------------------------------
  // Writes.

  protected async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    const memKey = this.keys.encode(key);
    if (!(await this.store('set', memKey, record, ttl))) {
      throw new ConnectorError('BACKEND', `memcached did not store "${memKey}"`);
    }
  }

  protected async _delete(key: string): Promise<void> {
    const memKey = this.keys.encode(key);
    // DELETED and NOT_FOUND are both fine.
    await this.transport.send(this.transport.route(memKey), 'delete', `delete ${memKey}`);
  }

  protected override async _setMany(
    items: { key: string; record: WriteRecord }[],
    ttl: number,
  ): Promise<void> {
    await Promise.all(items.map((item) => this._set(item.key, item.record, ttl)));
  }

  protected override async _deleteMany(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this._delete(key)));
  }

  /** Absent expected: `add`. Otherwise `gets` for the version and CAS token, then `cas`. */
  protected override async _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const memKey = this.keys.encode(key);
    if (expectedVersion === null) return this.store('add', memKey, record, ttl);
    const reply = await this.transport.send(this.transport.route(memKey), 'gets', `gets ${memKey}`);
    if (reply === undefined || reply === null || reply === false) return false;
    // The client reports a hit as { [key]: data, cas: token }.
    const found = reply as Record<string, unknown>;
    const token = found.cas;
    if (
      !Object.prototype.hasOwnProperty.call(found, memKey) ||
      (typeof token !== 'string' && typeof token !== 'number')
    ) {
      throw new ConnectorError('BACKEND', `memcached gets "${memKey}" returned no CAS token`);
    }
    if (readItemVersion(found[memKey]) !== expectedVersion) return false;
    return this.store('cas', memKey, record, ttl, String(token));
  }

  /** Sends set/add/cas; true when stored, false when add/cas found the condition unmet. */
  private async store(
    verb: StoreVerb,
    memKey: string,
    record: WriteRecord,
    ttl: number,
    casToken?: string,
  ): Promise<boolean> {
    const exptime = toExptime(ttl);
    const item = encodeItem(record, this.codec);
    if (item.bytes > this.maxItemData) {
      // Only reachable with a codec whose output needs base64; the base class checks the rest.
      throw new ConnectorError(
        'VALUE_TOO_LARGE',
        `The stored item would be ${item.bytes} bytes; memcached (-I ${this.settings.maxItemBytes}) accepts ${this.maxItemData}`,
        { details: { connector: this.name, size: item.bytes, limit: this.maxItemData } },
      );
    }
    const cas = casToken === undefined ? '' : ` ${casToken}`;
    const command = `${verb} ${memKey} 0 ${exptime} ${item.bytes}${cas}\r\n${item.text}`;
    const reply = await this.transport.send(this.transport.route(memKey), verb, command);
    return reply === true;
  }
}
