import Memcached from 'memcached';
import { ConnectorError } from '@connector-kit/connector-core';
import type { ResolvedMemcachedOptions } from './options';
import type { RingControl } from './failover';
import { InFlightList, InFlightRequest } from './in-flight';
import { PooledSockets } from './pooled-sockets';
import type { ServerHealth } from './server-health';

/** A query plus what our `connectionIssue` hook learns about its reply. */
interface Query extends Memcached.MemcachedQuery {
  /** A `SERVER_ERROR …` reply: the client reports it as a connection issue, not to the callback. */
  serverError?: string;
  /** Our bookkeeping for this query. */
  request: InFlightRequest;
}

export interface SendOptions {
  /** Multi-get: VALUE replies arrive as `{ [key]: data }` objects. */
  multi?: boolean;
  /** Send even while the server is marked down (health probes, connecting). */
  probe?: boolean;
}

/** The client's own message when more requests wait for a connection than `poolSize` allows. */
const POOL_FULL = /connection pool is full/i;

/** Delay before a request refused with POOL_FULL is tried again (a connection is being opened). */
const POOL_FULL_RETRY_MS = 5;

/**
 * Sends protocol commands through the `memcached` client's connection pool and reply parser,
 * and makes every request settle exactly once:
 *
 * - the client calls back with errors as strings, Errors or arrays; they become ConnectorErrors;
 * - it drops the requests queued on a connection that closes: they fail when it closes;
 * - it refuses requests while all `poolSize` connections are still opening: they are retried;
 * - a hung server never answers: a sweep fails requests with no reply after the operation
 *   timeout, counting it against the server;
 * - requests for a server marked down fail at once, without touching the network.
 *
 * Keys are already safe (see KeyEncoder) and sizes already checked, so commands go to
 * `client.command` with an explicit server, skipping the client's per-call key rewriting.
 */
export class Transport {
  private readonly client: Memcached;
  private readonly single: string | null;
  private readonly inFlight = new Map<string, InFlightList>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;
  private readonly sockets: PooledSockets;

  constructor(
    private readonly options: ResolvedMemcachedOptions,
    private readonly health: ServerHealth,
    private readonly replyTimeoutMs: number,
  ) {
    this.client = new Memcached(options.servers, {
      poolSize: options.poolSize,
      timeout: options.timeout,
      retries: options.retries,
      idle: options.idle,
      maxValue: options.maxItemBytes,
    });
    // Failures are tracked by ServerHealth instead of the client's own bookkeeping.
    this.client.connectionIssue = (error, socket) => this.onConnectionIssue(error, socket);
    this.sockets = new PooledSockets(this.client, (server, queued) => {
      const error = new ConnectorError(
        'BACKEND',
        `memcached connection to ${server} closed before the reply`,
      );
      for (const query of queued) (query as Partial<Query>).request?.settle(error);
    });
    // One server and no spares: no hashing at all.
    this.single =
      options.servers.length === 1 && options.failOverServers.length === 0 ? options.servers[0]! : null;
    for (const server of [...options.servers, ...options.failOverServers]) {
      this.inFlight.set(server, new InFlightList());
    }
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, replyTimeoutMs / 4)));
    this.sweepTimer.unref();
  }

  /** The server a memcached key lives on (consistent hashing over the servers in the ring). */
  route(key: string): string {
    if (this.single !== null) return this.single;
    const server = this.client.HashRing.get(key);
    if (server === undefined)
      throw new ConnectorError('BACKEND', 'memcached: no server left in the hash ring');
    return server;
  }

  /** The client's hash ring, for fail-over (see FailoverPlan). */
  ringControl(): RingControl {
    const ring = this.client.HashRing;
    return {
      swap: (from, to) => void ring.swap(from, to),
      add: (server) => void ring.add(server),
      remove: (server) => void ring.remove(server),
    };
  }

  send(server: string, type: string, command: string, options: SendOptions = {}): Promise<unknown> {
    if (this.closed) {
      return Promise.reject(new ConnectorError('CLOSED', `memcached connection to ${server} is closed`));
    }
    if (options.probe !== true) {
      const down = this.health.downError(server);
      if (down !== null) return Promise.reject(serverDown(server, down));
    }
    const pending = this.inFlight.get(server);
    if (pending === undefined)
      return Promise.reject(new ConnectorError('BACKEND', `memcached: unknown server ${server}`));
    return new Promise<unknown>((resolve, reject) => {
      const request = new InFlightRequest(Date.now() + this.replyTimeoutMs, pending, resolve, reject);
      const query: Query = {
        type,
        command,
        multi: options.multi === true,
        request,
        callback: (err, result) => this.onReply(server, query, err, result),
      };
      this.dispatch(server, query);
    });
  }

  private dispatch(server: string, query: Query): void {
    try {
      this.sockets.coalesceWrites(server);
      this.client.command(() => query, server);
    } catch (err) {
      // The client throws synchronously on some malformed input; never let it escape.
      query.request.settle(
        new ConnectorError('BACKEND', `memcached ${query.type} on ${server} failed: ${describe(err)}`, {
          cause: err,
        }),
      );
    }
  }

  private onReply(server: string, query: Query, rawErr: unknown, rawResult: unknown): void {
    const request = query.request;
    // The client empties its error and result arrays right after this callback returns.
    const err = Array.isArray(rawErr) ? rawErr.slice() : rawErr;
    const result = Array.isArray(rawResult) ? rawResult.slice() : rawResult;
    // `start` is set when the query was written: only then is this the server's reply.
    const replied = typeof query.start === 'number';
    if (replied) this.health.recordSuccess(server);
    if (isEmptyError(err)) {
      if (query.serverError !== undefined) {
        request.settle(
          new ConnectorError(
            'BACKEND',
            `memcached ${server} refused ${query.type}: SERVER_ERROR ${query.serverError}`,
          ),
        );
      } else {
        request.settle(null, result);
      }
    } else if (isNotStored(err)) {
      request.settle(null, false);
    } else if (!replied && POOL_FULL.test(describe(err)) && this.mayRetry(request)) {
      // Every pooled connection is still being opened: try again shortly, within the deadline.
      setTimeout(() => {
        if (!request.settled && !this.closed) this.dispatch(server, query);
      }, POOL_FULL_RETRY_MS);
    } else {
      const what = replied ? `${query.type} failed` : 'is unreachable';
      request.settle(
        new ConnectorError('BACKEND', `memcached ${server} ${what}: ${describe(err)}`, { cause: err }),
      );
    }
  }

  /**
   * Replaces the client's `connectionIssue`. The client calls it for connection failures — and
   * for `SERVER_ERROR` replies on a healthy connection, which it would wrongly close and count
   * against the server. Those are attached to the request they answer instead.
   */
  private onConnectionIssue(error: unknown, socket: Memcached.MemcachedSocket | undefined): void {
    if (socket !== undefined && socket.readyState === 'open' && socket.destroyed !== true) {
      const answered = socket.metaData?.[0] as Query | undefined;
      if (answered !== undefined) answered.serverError = describe(error);
      return;
    }
    socket?.end?.();
    const server = socket?.serverAddress;
    const message = describe(error);
    // Too many requests waiting for a new connection: the client's limit, not the server's fault.
    if (server === undefined || POOL_FULL.test(message)) return;
    this.health.recordFailure(
      server,
      new ConnectorError('BACKEND', `memcached server ${server} is unreachable: ${message}`),
    );
  }

  private mayRetry(request: InFlightRequest): boolean {
    return !this.closed && !request.settled && Date.now() + POOL_FULL_RETRY_MS < request.deadline;
  }

  /** Fails every request waiting on a server (it was marked down: its replies will not come). */
  failInFlight(server: string, cause: ConnectorError): void {
    this.inFlight.get(server)?.failAll(serverDown(server, cause));
  }

  /** Fails requests whose reply is overdue: the client lost their callback, or the server hangs. */
  private sweep(): void {
    const now = Date.now();
    for (const [server, pending] of this.inFlight) {
      // Deadlines grow with insertion order: stop at the first request still in time.
      for (
        let request = pending.first();
        request !== null && request.deadline <= now;
        request = pending.first()
      ) {
        const error = new ConnectorError(
          'TIMEOUT',
          `memcached ${server} did not reply within ${this.replyTimeoutMs} ms`,
        );
        request.settle(error);
        this.health.recordFailure(server, error);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const [server, pending] of this.inFlight) {
      pending.failAll(new ConnectorError('CLOSED', `memcached connection to ${server} was closed`));
    }
    this.client.end();
    // A connection still being opened joins the pool after end(); close it once it has.
    setTimeout(() => this.client.end(), this.options.timeout + 100).unref();
  }
}

function serverDown(server: string, cause: ConnectorError): ConnectorError {
  return new ConnectorError(
    'BACKEND',
    `memcached server ${server} is down (${cause.message}); retrying in the background`,
    {
      cause,
      details: { server },
    },
  );
}

function isEmptyError(err: unknown): boolean {
  return err === undefined || err === null || err === false || (Array.isArray(err) && err.length === 0);
}

/** NOT_STORED (add/cas lost the race) is an answer, not a failure. */
function isNotStored(err: unknown): boolean {
  const errors = Array.isArray(err) ? (err as unknown[]) : [err];
  return errors.every(
    (e) => typeof e === 'object' && e !== null && (e as { notStored?: unknown }).notStored === true,
  );
}

/** The client reports errors as strings, Errors, arrays of Errors or plain objects. */
export function describe(err: unknown): string {
  if (Array.isArray(err)) return err.map(describe).join('; ');
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}
