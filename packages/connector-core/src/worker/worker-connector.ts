import { BaseConnector } from '../connector/base-connector';
import type { ReadRecord, WriteRecord } from '../connector/records';
import type { ConnectorOptions } from '../config/options';
import { redactConnectionString } from '../config/redact';
import { ConnectorError } from '../errors';
import { compact, packValues, unpackValues, type PackedValues, type WorkerInit } from './protocol';
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
}

export const WORKER_CONNECTOR_DEFAULTS = {
  codec: 'json',
  startTimeoutMs: 10_000,
  restartDelayMs: 100,
  restartMaxDelayMs: 5_000,
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
    const init: WorkerInit = {
      url: options.url,
      options: { ...options.connector },
      codec,
      preload: [...(options.preload ?? [])],
    };
    const label = `${redactConnectionString(options.url)} (worker)`;
    const startTimeoutMs = options.startTimeoutMs ?? WORKER_CONNECTOR_DEFAULTS.startTimeoutMs;
    let connector: WorkerConnector | null = null;
    const link = await WorkerLink.spawn(init, label, startTimeoutMs, {
      error: (err) => connector?.reportError(err),
      exit: (err) => connector?.lost(err),
    });
    connector = new WorkerConnector(options, init, label, link);
    return connector;
  }

  private constructor(options: WorkerConnectorOptions, init: WorkerInit, label: string, link: WorkerLink) {
    const { url: _url, connector: _connector, preload: _preload, ...own } = options;
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
    this.startTimeoutMs = options.startTimeoutMs ?? WORKER_CONNECTOR_DEFAULTS.startTimeoutMs;
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

  protected async _get(key: string): Promise<ReadRecord | null> {
    return (await this.call({ op: 'get', key })) as ReadRecord | null;
  }

  protected override async _head(key: string): Promise<number | null> {
    return (await this.call({ op: 'head', key })) as number | null;
  }

  protected async _set(key: string, record: WriteRecord, ttl: number): Promise<void> {
    await this.call({ op: 'set', key, data: compact(record.data), version: record.version, ttl });
  }

  protected async _delete(key: string): Promise<void> {
    await this.call({ op: 'delete', key });
  }

  protected override async _compareAndSet(
    key: string,
    record: WriteRecord,
    expectedVersion: number | null,
    ttl: number,
  ): Promise<boolean> {
    const call: Call = {
      op: 'compareAndSet',
      key,
      data: compact(record.data),
      version: record.version,
      ttl,
      expectedVersion,
    };
    return (await this.call(call)) as boolean;
  }

  protected override async _getMany(keys: string[]): Promise<(ReadRecord | null)[]> {
    const reply = (await this.call({ op: 'getMany', keys })) as { versions: number[]; values: PackedValues };
    return unpackValues(reply.values).map((data, i) =>
      data === null ? null : { version: reply.versions[i]!, data },
    );
  }

  protected override async _headMany(keys: string[]): Promise<(number | null)[]> {
    return (await this.call({ op: 'headMany', keys })) as (number | null)[];
  }

  protected override async _setMany(
    items: { key: string; record: WriteRecord }[],
    ttl: number,
  ): Promise<void> {
    const values = packValues(items.map((item) => item.record.data));
    await this.call(
      {
        op: 'setMany',
        keys: items.map((item) => item.key),
        versions: items.map((item) => item.record.version),
        values,
        ttl,
      },
      // The packed buffer is ours alone: moved, not copied.
      [values.bytes.buffer as ArrayBuffer],
    );
  }

  protected override async _deleteMany(keys: string[]): Promise<void> {
    await this.call({ op: 'deleteMany', keys });
  }

  private call(call: Call, transfer?: ArrayBuffer[]): Promise<unknown> {
    return this.link.request(call, transfer);
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
      link = await WorkerLink.spawn(this.init, this.label, this.startTimeoutMs, {
        error: (err) => this.reportError(err),
        exit: (err) => this.lost(err),
      });
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
