/**
 * The slice of the `memcached` npm client (2.2.x) this package uses. No @types package is
 * installed, and the parts we rely on (`command`, `connectionIssue`, `HashRing`) are not in any
 * published typing anyway, so they are declared here, typed as narrowly as we use them.
 */
declare module 'memcached' {
  namespace Memcached {
    /** One request as the client queues it on a connection (`S.metaData`). */
    interface MemcachedQuery {
      /** The key, used by the client for hashing when no server is given. */
      key?: string;
      /** Selects a result parser (`stats settings`); otherwise informational. */
      type: string;
      /** The full protocol text; the client appends the final `\r\n`. */
      command: string;
      /** Multi-get: VALUE replies become `{ [key]: data }` objects. */
      multi?: boolean;
      /** Called once with the server's reply — or never, if the connection dies first. */
      callback: (this: MemcachedQuery, err: unknown, result: unknown) => void;
      /** Set by the client when the query is written to a socket. */
      start?: number;
    }

    /** The socket (or, when no socket could be had, a stub) the client hands to `connectionIssue`. */
    interface MemcachedSocket {
      serverAddress?: string;
      readyState?: string;
      destroyed?: boolean;
      metaData?: unknown[];
      end?(): void;
    }

    interface HashRing {
      get(key: string): string | undefined;
      add(server: string): unknown;
      remove(server: string): unknown;
      swap(from: string, to: string): unknown;
      has(server: string): boolean;
    }
  }

  class Memcached {
    constructor(servers: string[], options: Record<string, unknown>);
    servers: string[];
    HashRing: Memcached.HashRing;
    /** Per server, the connection pool (a `jackpot` Manager, whose `pool` holds open sockets). */
    connections: Record<string, { pool?: unknown } | undefined>;
    /** Dispatches one query to `server` over a pooled connection. */
    command(compiler: () => Memcached.MemcachedQuery, server: string): void;
    /** Called by the client for connection failures and SERVER_ERROR replies. */
    connectionIssue(error: unknown, socket: Memcached.MemcachedSocket | undefined): void;
    /** Closes every pooled connection. */
    end(): void;
  }

  export = Memcached;
}
