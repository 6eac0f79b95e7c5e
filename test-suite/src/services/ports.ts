/**
 * Loopback TCP port helpers: pick free ports for servers and wait until a server accepts connections.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { waitUntil } from './wait';

export const LOOPBACK = '127.0.0.1';

/** Opens a listener on an OS-chosen port, returning it still open so the port stays reserved. */
function reserve(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}

function release(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Returns `count` distinct free ports on `host`. All are held open until every one is chosen, so
 * the OS cannot hand out the same port twice; they are released just before returning (a small
 * race with other processes remains, which the launchers surface as a start failure).
 */
export async function freePorts(count: number, host = LOOPBACK): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await reserve(host));
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(release));
  }
}

/** Returns one free port on `host`. */
export async function freePort(host = LOOPBACK): Promise<number> {
  const [port] = await freePorts(1, host);
  return port;
}

/** Resolves true if a TCP connection to host:port succeeds within `timeoutMs`, false otherwise. */
export function canConnect(port: number, host = LOOPBACK, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface WaitForPortOptions {
  host?: string;
  timeoutMs: number;
  /** Throw from here to stop waiting early (e.g. the server process exited). */
  abortIf?: () => void;
  /** Label for the timeout message. */
  what?: string;
}

/** Waits until host:port accepts TCP connections, or throws once the deadline passes. */
export async function waitForPort(port: number, options: WaitForPortOptions): Promise<void> {
  const host = options.host ?? LOOPBACK;
  await waitUntil(() => canConnect(port, host, 1000), {
    timeoutMs: options.timeoutMs,
    intervalMs: 50,
    what: options.what ?? `a listener on ${host}:${port}`,
    abortIf: options.abortIf,
  });
}

/** Socket inodes of TCP listeners on `port`, from /proc/net/tcp{,6}; undefined without /proc. */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
      readAny = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = fields[1].split(':').pop();
      if (localPort === hexPort && fields[3] === '0A') inodes.add(fields[9]);
    }
  }
  return readAny ? inodes : undefined;
}

/**
 * Whether process `pid` itself holds a listening socket on `port` (Linux, via /proc). This tells
 * "our server is up" apart from "some other process already had that port". Returns undefined
 * where /proc is not available, so callers fall back to trusting the port check.
 */
export function ownsListeningPort(pid: number, port: number): boolean | undefined {
  const inodes = listeningInodes(port);
  if (!inodes) return undefined;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match && inodes.has(match[1])) return true;
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return false;
}
