import { ConnectorError } from '@connector-kit/connector-core';
import { Batcher } from './batcher';
import { CommandSender } from './command-sender';
import type { Client } from './commands';
import { connectionError } from './errors';

/** What a link tells the connector. */
export interface LinkListener {
  /** The client is ready (again). */
  onReady(): void;
  /** The client was ready and is not any more. */
  onLost(err: ConnectorError): void;
  /** An error about the connection (refused, rejected credentials, …). */
  onError(err: ConnectorError): void;
}

export interface LinkOptions {
  /** The server's address without credentials, for messages. */
  where: string;
  /** False for a caller's client: we neither connect, disconnect nor quit it. */
  owned: boolean;
  maxBatchKeys: number;
  /** 0: no watchdog. */
  stallTimeoutMs: number;
}

const QUIT_TIMEOUT_MS = 1000;
const noop = (): void => undefined;

/**
 * One ioredis client and everything the connector needs around it: readiness, error mapping,
 * the tick batcher that feeds it, and a watchdog that drops a connection whose server stopped
 * answering (SIGSTOP, a hung host), so that waiting commands fail and their memory is freed.
 */
export class RedisLink {
  readonly batcher: Batcher;
  private readonly sender: CommandSender;
  private readonly isCluster: boolean;
  private wasReady = false;
  private closed = false;
  /** Set when the watchdog gave up on the connection, until it is ready again. */
  private stalled = false;
  private lastError: ConnectorError | null = null;
  private fatal: ConnectorError | null = null;
  private readonly readyWaiters = new Set<(err: ConnectorError | null) => void>();
  private watchdog: NodeJS.Timeout | null = null;
  private readonly listeners: [string, (...args: unknown[]) => void][];

  constructor(
    readonly client: Client,
    private readonly options: LinkOptions,
    private readonly listener: LinkListener,
  ) {
    this.isCluster = client.isCluster;
    const clientKeyPrefix = (client.options as { keyPrefix?: string } | undefined)?.keyPrefix ?? '';
    const sender = new CommandSender(client, options.where);
    this.sender = sender;
    this.batcher = new Batcher({
      splitBySlot: this.isCluster,
      clientKeyPrefix,
      maxBatchKeys: options.maxBatchKeys,
      // Our own encoding writes keys as given: not with an ioredis keyPrefix, and not for a cluster,
      // whose client routes each command by its (parsed) arguments.
      encodeCommands: !this.isCluster && clientKeyPrefix === '',
      execute: (commands) => sender.execute(commands),
    });
    this.listeners = [
      ['ready', () => this.handleReady()],
      ['error', (err) => this.handleError(err)],
      ['close', () => this.handleClose()],
      ['end', () => this.handleClose()],
    ];
  }

  get ready(): boolean {
    return this.client.status === 'ready' && !this.stalled;
  }

  /** Listens to the client and connects it if we own it (or it waits for a first command). */
  start(): void {
    for (const [event, handler] of this.listeners) this.client.on(event, handler);
    if (this.client.status === 'wait') this.client.connect().catch(noop);
    if (this.ready) this.wasReady = true;
    if (this.options.owned && this.options.stallTimeoutMs > 0 && !this.isCluster) {
      const period = Math.max(50, Math.floor(this.options.stallTimeoutMs / 4));
      this.watchdog = setInterval(() => this.checkStall(), period);
      this.watchdog.unref();
    }
  }

  /** Resolves when ready; rejects on the next connection error, or after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters.delete(waiter);
        const reason = this.lastError ? `: ${this.lastError.message}` : '';
        reject(
          new ConnectorError(
            'BACKEND',
            `Redis at ${this.options.where} was not ready after ${timeoutMs} ms${reason}`,
          ),
        );
      }, timeoutMs);
      const waiter = (err: ConnectorError | null): void => {
        clearTimeout(timer);
        this.readyWaiters.delete(waiter);
        if (err) reject(err);
        else resolve();
      };
      this.readyWaiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.settleWaiters(new ConnectorError('CLOSED', 'The connector was closed'));
    for (const [event, handler] of this.listeners) this.client.off(event, handler);
    if (!this.options.owned) return;
    // ioredis reports errors as 'error' events; one without a listener would be logged loudly.
    this.client.on('error', noop);
    if (this.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const quitting = this.client.quit().then(noop, noop);
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS)));
      await Promise.race([quitting, timedOut]);
      clearTimeout(timer);
    }
    this.client.disconnect();
  }

  private handleReady(): void {
    if (this.closed) return;
    this.stalled = false;
    this.wasReady = true;
    this.lastError = null;
    this.settleWaiters(null);
    this.listener.onReady();
  }

  private handleError(raw: unknown): void {
    if (this.closed) return;
    const err = connectionError(raw, this.options.where);
    this.lastError = err;
    if (err.code === 'CONFIG') {
      this.fatal = err;
      // Wrong credentials stay wrong: stop reconnecting (only on a client we own).
      if (this.options.owned) this.client.disconnect();
    }
    this.settleWaiters(err);
    this.listener.onError(err);
  }

  private handleClose(): void {
    if (this.closed || !this.wasReady || this.ready) return;
    this.wasReady = false;
    const err =
      this.lastError ??
      new ConnectorError(
        'BACKEND',
        `The connection to Redis at ${this.options.where} was lost; reconnecting`,
      );
    this.listener.onLost(err);
  }

  private settleWaiters(err: ConnectorError | null): void {
    for (const waiter of [...this.readyWaiters]) waiter(err);
  }

  private checkStall(): void {
    if (this.stalled || this.sender.silentForMs(Date.now()) < this.options.stallTimeoutMs) return;
    this.stalled = true;
    const err = new ConnectorError(
      'TIMEOUT',
      `Redis at ${this.options.where} has not answered for ${this.options.stallTimeoutMs} ms; reconnecting`,
    );
    this.lastError = err;
    // Unavailable now: new operations wait for readiness (bounded) instead of joining the queue.
    if (this.wasReady) {
      this.wasReady = false;
      this.listener.onLost(err);
    }
    // Drops the socket (commands still waiting then fail) and reconnects in the background.
    this.client.disconnect(true);
  }
}
