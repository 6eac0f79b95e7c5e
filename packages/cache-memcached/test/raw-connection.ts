import { connect, type Socket } from 'node:net';
import { parseConnectorUrl } from '@connector-kit/connector-core';
import { MemcachedCache } from '@connector-kit/cache-memcached';
import { randomPrefix } from '@connector-kit/test-suite';

/**
 * A second, independent connection to a memcached server speaking the text protocol over a plain
 * socket, one command at a time. Tests use it to check what the connector really did on the
 * server (which keys exist, how many commands ran) without going through the connector or the
 * `memcached` client.
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiter: {
    done: (reply: Buffer) => boolean;
    resolve: (reply: string) => void;
    reject: (err: Error) => void;
  } | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.check();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('raw memcached connection closed')));
  }

  static open(host: string, port: number, timeoutMs = 5000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`raw connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Sends raw protocol bytes and waits (bounded) until `done` accepts the accumulated reply. */
  send(command: string | Buffer, done: (reply: Buffer) => boolean, timeoutMs = 5000): Promise<string> {
    if (this.waiter) return Promise.reject(new Error('RawConnection: one command at a time'));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`raw memcached reply timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        done,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.socket.write(command);
      this.check();
    });
  }

  /** The stored data of a key, or null. Keys are sent as given (must be protocol-safe). */
  async get(key: string): Promise<string | null> {
    const reply = await this.send(`get ${key}\r\n`, singleGetComplete);
    const match = /^VALUE \S+ \d+ (\d+)\r\n/.exec(reply);
    if (!match) return null;
    const start = match[0].length;
    return Buffer.from(reply, 'utf8')
      .subarray(start, start + Number(match[1]))
      .toString('utf8');
  }

  async set(key: string, data: string, exptime = 0): Promise<string> {
    const bytes = Buffer.byteLength(data);
    return (await this.send(`set ${key} 0 ${exptime} ${bytes}\r\n${data}\r\n`, endsWith('\r\n'))).trim();
  }

  /** Remaining TTL in seconds as the server sees it (meta get `t` flag): -1 none, null missing. */
  async ttl(key: string): Promise<number | null> {
    const reply = await this.send(`mg ${key} t\r\n`, endsWith('\r\n'));
    const match = /^HD t(-?\d+)\r\n$/.exec(reply);
    return match ? Number(match[1]) : null;
  }

  /** `stats` values by name. */
  async stats(): Promise<Record<string, string>> {
    const reply = await this.send('stats\r\n', endsWith('END\r\n'));
    const out: Record<string, string> = {};
    for (const line of reply.split('\r\n')) {
      const [tag, name, value] = line.split(' ');
      if (tag === 'STAT' && name !== undefined && value !== undefined) out[name] = value;
    }
    return out;
  }

  close(): void {
    this.socket.destroy();
  }

  private check(): void {
    const waiter = this.waiter;
    if (waiter && waiter.done(this.buffer)) {
      const reply = this.buffer.toString('utf8');
      this.buffer = Buffer.alloc(0);
      this.waiter = null;
      waiter.resolve(reply);
    }
  }

  private fail(err: Error): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
  }
}

export function endsWith(terminator: string): (reply: Buffer) => boolean {
  const tail = Buffer.from(terminator);
  return (reply) => reply.length >= tail.length && reply.subarray(reply.length - tail.length).equals(tail);
}

/** A single-key get reply is complete: `END`, or a VALUE header, its announced bytes and `END`. */
function singleGetComplete(reply: Buffer): boolean {
  const text = reply.toString('latin1');
  if (text === 'END\r\n') return true;
  const match = /^VALUE \S+ \d+ (\d+)\r\n/.exec(text);
  if (!match) return /^(?:ERROR|CLIENT_ERROR|SERVER_ERROR)[^\n]*\r\n$/.test(text);
  return reply.length >= match[0].length + Number(match[1]) + '\r\nEND\r\n'.length;
}

/** Raw connections to every server of a `memcached://` URL (launched or external). */
export function openRawConnections(url: string): Promise<RawConnection[]> {
  return Promise.all(parseConnectorUrl(url).hosts.map((h) => RawConnection.open(h.host, h.port ?? 11211)));
}

/**
 * For a suite that checks a connector over a raw connection: registers the beforeAll that opens
 * both (handing them to `use`) and the afterAll that closes them.
 */
export function useConnectorAndRawConnection(
  url: () => string,
  use: (connector: MemcachedCache, raw: RawConnection) => void,
  timeoutMs: number,
): void {
  let opened: { connector: MemcachedCache; raw: RawConnection } | null = null;
  beforeAll(async () => {
    const connector = new MemcachedCache({ url: url(), prefix: randomPrefix() });
    await connector.whenReady();
    const [raw] = (await openRawConnections(url())) as [RawConnection];
    opened = { connector, raw };
    use(connector, raw);
  }, timeoutMs);
  afterAll(async () => {
    opened?.raw.close();
    await opened?.connector.close();
  }, timeoutMs);
}
