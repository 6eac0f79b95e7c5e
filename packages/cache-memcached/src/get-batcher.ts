import type { Transport } from './transport';

/** Most keys in one `get k1 k2 …` line (memcached accepts long lines; this bounds reply size). */
export const MAX_KEYS_PER_GET = 256;

interface Waiter {
  resolve(raw: unknown): void;
  reject(err: unknown): void;
}

/**
 * Coalesces the reads issued in one tick: all keys for the same server go out as one multi-get
 * (`get k1 k2 …`), which costs the client and the server about as much as a single get. Each
 * caller gets its own item (or undefined when missing); a failed server fails only its keys.
 */
export class GetBatcher {
  /** server → memcached key → callers waiting for it. */
  private queued = new Map<string, Map<string, Waiter[]>>();
  private scheduled = false;

  constructor(private readonly transport: Transport) {}

  /** The raw item stored under a memcached key, or undefined when missing. */
  get(key: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      let server: string;
      try {
        server = this.transport.route(key);
      } catch (err) {
        reject(err);
        return;
      }
      let keys = this.queued.get(server);
      if (keys === undefined) {
        keys = new Map();
        this.queued.set(server, keys);
      }
      const waiters = keys.get(key);
      if (waiters === undefined) keys.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queued = this.queued;
    this.queued = new Map();
    for (const [server, keys] of queued) {
      const all = [...keys.keys()];
      for (let i = 0; i < all.length; i += MAX_KEYS_PER_GET) {
        const chunk = all.slice(i, i + MAX_KEYS_PER_GET);
        if (chunk.length === 1) this.single(server, chunk[0]!, keys);
        else this.multi(server, chunk, keys);
      }
    }
  }

  private single(server: string, key: string, keys: Map<string, Waiter[]>): void {
    this.transport.send(server, 'get', `get ${key}`).then(
      (raw) => settle(keys.get(key), null, raw),
      (err: unknown) => settle(keys.get(key), err),
    );
  }

  private multi(server: string, chunk: string[], keys: Map<string, Waiter[]>): void {
    this.transport.send(server, 'get', `get ${chunk.join(' ')}`, { multi: true }).then(
      (reply) => {
        const found = collect(reply);
        for (const key of chunk) settle(keys.get(key), null, found.get(key));
      },
      (err: unknown) => {
        for (const key of chunk) settle(keys.get(key), err);
      },
    );
  }
}

function settle(waiters: Waiter[] | undefined, err: unknown, raw?: unknown): void {
  if (waiters === undefined) return;
  for (const waiter of waiters) {
    if (err === null) waiter.resolve(raw);
    else waiter.reject(err);
  }
}

/**
 * A multi-get reply from the client: undefined (no hits), one `{ key: data }` object, or an
 * array of them. Own properties only: a missing key must not find `Object.prototype` members.
 */
function collect(reply: unknown): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const parts = Array.isArray(reply) ? (reply as unknown[]) : [reply];
  for (const part of parts) {
    if (typeof part !== 'object' || part === null) continue;
    for (const key of Object.keys(part)) found.set(key, (part as Record<string, unknown>)[key]);
  }
  return found;
}
