/**
 * Loopback TCP port helpers: pick free ports for servers and wait until a server accepts connections.
 */
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
