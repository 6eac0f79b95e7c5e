/** What we use of the client: its per-server connection pools. */
interface PoolOwner {
  connections: Record<string, { pool?: unknown } | undefined>;
}

/** What we use of a socket in the client's pool. */
interface PooledSocket {
  cork(): void;
  uncork(): void;
  once(event: 'close', listener: () => void): unknown;
  destroyed?: boolean;
  /** The client's queue of queries written on this socket and not answered yet. */
  metaData?: unknown[];
}

/**
 * Two things done to the sockets in the `memcached` client's pool (reached through its `jackpot`
 * dependency's `pool` array; without it, both simply do not happen):
 *
 * - The client writes every command with its own `socket.write`, one system call each. Corking a
 *   server's sockets until the end of the tick turns the commands issued in one tick into one
 *   write (and memcached answers them in one packet).
 * - When a connection closes, the client silently drops the queries still queued on it; they are
 *   handed to `onClosedWithQueries` so they can fail at once instead of at their timeout.
 */
export class PooledSockets {
  private readonly corkedServers = new Set<string>();
  private corked: PooledSocket[] = [];
  private readonly watched = new WeakSet<PooledSocket>();

  constructor(
    private readonly client: PoolOwner,
    private readonly onClosedWithQueries: (server: string, queued: unknown[]) => void,
  ) {}

  /** Call before sending to `server`: its open sockets stay corked until the end of the tick. */
  coalesceWrites(server: string): void {
    if (this.corkedServers.has(server)) return;
    this.corkedServers.add(server);
    const pool = this.client.connections[server]?.pool;
    if (Array.isArray(pool)) {
      for (const socket of pool as PooledSocket[]) {
        if (typeof socket?.cork !== 'function' || socket.destroyed === true) continue;
        socket.cork();
        this.corked.push(socket);
        this.watch(server, socket);
      }
    }
    if (this.corkedServers.size === 1) process.nextTick(this.uncork);
  }

  private readonly uncork = (): void => {
    const sockets = this.corked;
    this.corked = [];
    this.corkedServers.clear();
    for (const socket of sockets) socket.uncork();
  };

  private watch(server: string, socket: PooledSocket): void {
    if (this.watched.has(socket)) return;
    this.watched.add(socket);
    socket.once('close', () => {
      const queued = socket.metaData ?? [];
      if (queued.length > 0) this.onClosedWithQueries(server, queued.slice());
    });
  }
}
