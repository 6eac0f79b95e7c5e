import { BaseConnector } from '../connector/base-connector';
import type { ReadRecord, WriteRecord } from '../connector/records';
import type { ConnectorOptions } from '../config/options';
import { redactConnectionString } from '../config/redact';
import { ConnectorError } from '../errors';
import { compact, packValues, unpackValues, type PackedValues, type WorkerInit } from './protocol';
import { lowPrioritySupported, startThreadPoolHere } from './thread-priority';
import { WorkerLink, type Call } from './worker-link';

export interface WorkerConnectorOptions extends Omit<
  ConnectorOptions,
  'url' | 'masterUrl' | 'prefix' | 'codec'
> {
  /** The connector to run, by URL (its scheme picks the package, as in createConnector). Required. */
  url: string;
  /** More options for that connector: plain data, copied into the worker. Its prefix goes here or in the URL. */
  connector?: Record<string, unknown>;
  /** Codec on both sides of the thread boundary (a name: both threads resolve it). Default 'json'. */
  codec?: 'json' | 'msgpack';
  /** Modules the worker requires first, e.g. one that calls registerDriver() for your own scheme. */
  preload?: string[];
  /** How long start() waits for the worker to build the connector, ms. */
  startTimeoutMs?: number;
  /** After the worker thread dies: first restart delay, ms (doubling up to restartMaxDelayMs). */
  restartDelayMs?: number;
  restartMaxDelayMs?: number;
  /**
   * Run the worker thread at the lowest CPU priority (nice 19): the driver's work then takes a
   * core when the process's other threads and the machine leave one idle, instead of competing
   * with the event loop (and a cache server on the same machine) whenever a storage batch is
   * under way. Meant for a tiered store's storage, whose writes are behind already; on a
   * saturated machine they fall further behind (watch `storageLagMs`; the queue stays bounded).
   * Linux only (a nice value per thread): `start()` refuses it elsewhere with CONFIG. Default false.
   */
  lowPriority?: boolean;
}

export const WORKER_CONNECTOR_DEFAULTS = {
  codec: 'json',
  startTimeoutMs: 10_000,
  restartDelayMs: 100,
  restartMaxDelayMs: 5_000,
  lowPriority: false,
} as const;

/**
 * Any connector, run in a worker thread: the driver's CPU (request building, signing, parsing)
 * leaves the event loop, which only copies bytes to and from the thread. It is a Connector like
 * any other (the common spec runs against it), so it can be a tiered store's storage.
 *
 * Built with `await WorkerConnector.start({ url })`: the worker builds the real connector first,
 * since what it supports must be known before anything is given to it. If the thread dies, what
 * was in flight fails with BACKEND, `'error'` is emitted, and a new thread is started (with
 * backoff); operations issued meanwhile wait for it within their timeout.
 */
export class WorkerConnector extends BaseConnector {
  private link: WorkerLink;
  private readonly init: WorkerInit;
  private readonly label: string;
  private readonly startTimeoutMs: number;
  private readonly restartDelayMs: number;
  private readonly restartMaxDelayMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;

  static async start(options: WorkerConnectorOptions): Promise<WorkerConnector> {
    if (!options || typeof options.url !== 'string') {
      throw new ConnectorError('CONFIG', 'WorkerConnector.start needs the url of the connector to run', {
        details: { field: 'url' },
      });
    }
    const codec = options.codec ?? WORKER_CONNECTOR_DEFAULTS.codec;
    if (codec !== 'json' && codec !== 'msgpack') {
      throw new ConnectorError(
        'CONFIG',
        `WorkerConnector codec must be 'json' or 'msgpack', got ${String(codec)}`,
        {
          details: { field: 'codec' },
        },
      );
    }
    const lowPriority = options.lowPriority ?? WORKER_CONNECTOR_DEFAULTS.lowPriority;
    if (typeof lowPriority !== 'boolean') {
      throw new ConnectorError(
        'CONFIG',
        `WorkerConnector lowPriority must be a boolean, got ${String(lowPriority)}`,
        {
          details: { field: 'lowPriority' },
        },
      );
    }
    if (lowPriority) {
      if (!lowPrioritySupported()) {
        throw new ConnectorError(
          'CONFIG',
          `WorkerConnector lowPriority needs Linux (a nice value per thread); on ${process.platform} it would lower the whole process`,
          { details: { field: 'lowPriority' } },
        );
      }
      await startThreadPoolHere();
    }
    const init: WorkerInit = {
      url: options.url,
      options: { ...options.connector },
      codec,
      preload: [...(options.preload ?? [])],
      lowPriority,
    };
    const label = `${redactConnectionString(options.url)} (worker)`;
    const startTimeoutMs = options.startTimeoutMs ?? WORKER_CONNECTOR_DEFAULTS.startTimeoutMs;
    const owner: { connector: WorkerConnector | null } = { connector: null };
    const link = await WorkerConnector.spawn(init, label, startTimeoutMs, owner);
    owner.connector = new WorkerConnector(options, init, label, startTimeoutMs, link);
    return owner.connector;
  }

  /** A thread whose connector's events and end go to `owner` (not yet built on the first start). */
  private static spawn(
    init: WorkerInit,
    label: string,
    startTimeoutMs: number,
    owner: { connector: WorkerConnector | null },
  ): Promise<WorkerLink> {
    return WorkerLink.spawn(init, label, startTimeoutMs, {
      error: (err) => owner.connector?.reportError(err),
      exit: (err) => owner.connector?.lost(err),
    });
  }

  private constructor(
    options: WorkerConnectorOptions,
    init: WorkerInit,
    label: string,
    startTimeoutMs: number,
    link: WorkerLink,
  ) {
    const {
      url: _url,
      connector: _connector,
      preload: _preload,
      lowPriority: _lowPriority,
      ...own
    } = options;
    super(
      { ...own, prefix: '', codec: init.codec },
      {
        name: `${link.identity.name}@worker`,
        version: link.identity.version,
        supports: link.identity.supports,
        // Requests reach the worker in order and its connector keeps per-key order.
        preservesOrder: true,
      },
    );
    this.init = init;
    this.label = label;
    this.link = link;
    this.startTimeoutMs = startTimeoutMs;
    this.restartDelayMs = options.restartDelayMs ?? WORKER_CONNECTOR_DEFAULTS.restartDelayMs;
    this.restartMaxDelayMs = options.restartMaxDelayMs ?? WORKER_CONNECTOR_DEFAULTS.restartMaxDelayMs;
  }

  /** Times the worker thread was restarted after dying. */
  get workerRestarts(): number {
    return this.restarts;
  }

  protected async _open(): Promise<void> {
    await this.link.request({ op: 'open' });
  }

  protected async _close(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    try {
      if (this.link.alive) await this.link.request({ op: 'close' });
    } finally {
      await this.link.terminate();
    }
  }

  // The hooks return the link's promise itself: no async frame of their own on the way.
  protected _get(key: string): Promise<ReadRecord | null> {
    return this.call({ op: 'get', key });
  }

  protected override _head(key: string): Promise<number | null> {
    return this.call({ op: 'head', key });
  }

  protected _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    return this.call({ op: 'set', key, data: compact(record.data), version: record.version, ttl });
  }

  protected _delete(key: string): Promise<void> {
    return this.call({ op: 'delete', key });
  }

  protected override _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const data = compact(record.data);
    return this.call({ op: 'compareAndSet', key, data, version: record.version, ttl, expectedVersion });
  }

  protected override async _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    const reply = await this.call<{ versions: number[]; values: PackedValues }>({ op: 'getMany', keys });
    return unpackValues(reply.values).map((data, i) =>
      data === null ? null : { version: reply.versions[i]!, data },
    );
  }

  protected override _headMany(keys: string[]): Promise<(number | null)[]> {
    return this.call({ op: 'headMany', keys });
  }

  protected override _setMany(items: { key: string; record: WriteRecord }[], ttl: number): Promise<void> {
    const values = packValues(items.map((item) => item.record.data));
    const keys = items.map((item) => item.key);
    const versions = items.map((item) => item.record.version);
    // The packed buffer is ours alone: moved, not copied.
    return this.call({ op: 'setMany', keys, versions, values, ttl }, [values.bytes.buffer as ArrayBuffer]);
  }

  protected override _deleteMany(keys: string[]): Promise<void> {
    return this.call({ op: 'deleteMany', keys });
  }

  /** One request to the thread; `T` is what the thread's handler answers for it (worker-main.ts). */
  private call<T>(call: Call, transfer?: ArrayBuffer[]): Promise<T> {
    return this.link.request(call, transfer) as Promise<T>;
  }

  /** The thread died: report it, and start another (operations wait for it, bounded). */
  private lost(err: ConnectorError): void {
    this.markUnavailable(err);
    this.scheduleRestart(this.restartDelayMs);
  }

  private scheduleRestart(delayMs: number): void {
    if (this.isClosing || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.restart(delayMs);
    }, delayMs);
  }

  private async restart(lastDelayMs: number): Promise<void> {
    let link: WorkerLink | null = null;
    try {
      link = await WorkerConnector.spawn(this.init, this.label, this.startTimeoutMs, { connector: this });
      if (this.isClosing) {
        await link.terminate();
        return;
      }
      this.link = link;
      await link.request({ op: 'open' });
      this.restarts++;
      this.markReady();
    } catch (err) {
      this.reportError(err);
      // A thread whose connector never became ready is replaced, not left running beside the next.
      if (link?.alive) await link.terminate();
      this.scheduleRestart(Math.min(this.restartMaxDelayMs, lastDelayMs * 2));
    }
  }
}
