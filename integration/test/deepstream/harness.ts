/**
 * A real deepstream server for the end-to-end specs: `deepstream start -c <file>` (the
 * `@deepstream/server` CLI, so the config goes through deepstream's own loading and plugin
 * resolution) in a child process, and real `@deepstream/client`s talking to it over WebSockets.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeepstreamClient } from '@deepstream/client';
import type { Options as ClientOptions } from '@deepstream/client/dist/src/client-options';
import { freePort, LOOPBACK, ProcessNode, waitUntil } from '@connector-kit/test-suite';

/** The CLI's entry point, run with this process's node. */
export const DEEPSTREAM_BIN = require.resolve('@deepstream/server/dist/bin/deepstream');

/** The repository root: deepstream runs there, so `path:` package names resolve to the workspaces. */
export const REPO_ROOT = path.join(__dirname, '..', '..', '..');

/**
 * Appended by the tests to every config file: only the binary WebSocket endpoint the clients use.
 * deepstream's default endpoint list also opens MQTT on 0.0.0.0:1883, which two servers on one
 * machine cannot share. Nothing about cache or storage is ever added.
 */
export const TEST_ENDPOINTS = ['connectionEndpoints:', '  - type: ws-binary', ''].join('\n');

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new temporary directory, removed when the process exits. */
export function tempDirectory(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-deepstream-'));
  tempDirs.push(dir);
  return dir;
}

/** Writes `yaml` to `config.yml` in a new temporary directory and returns the file's path. */
export function writeConfig(yaml: string, name = 'config.yml'): string {
  const file = path.join(tempDirectory(), name);
  fs.writeFileSync(file, yaml);
  return file;
}

function cliArgs(configFile: string, port: number): string[] {
  return [
    DEEPSTREAM_BIN,
    'start',
    '-c',
    configFile,
    '--host',
    LOOPBACK,
    '--port',
    String(port),
    '--colors',
    'false',
  ];
}

export interface DeepstreamServer {
  readonly port: number;
  /** What a client connects to: `127.0.0.1:<port>/deepstream`. */
  readonly url: string;
  readonly configFile: string;
  readonly node: ProcessNode;
  /** The last few KB of the server's output. */
  output(): string;
  /** SIGINT, as an operator's Ctrl-C: deepstream closes its plugins and exits. */
  stop(): Promise<void>;
}

/** Starts `deepstream start -c configFile` and waits for "Deepstream started". */
export async function startDeepstream(configFile: string, port?: number): Promise<DeepstreamServer> {
  const serverPort = port ?? (await freePort());
  const node = new ProcessNode({
    label: 'deepstream',
    command: process.execPath,
    args: cliArgs(configFile, serverPort),
    port: serverPort,
    cwd: REPO_ROOT,
    readyPattern: /Deepstream started/,
    startTimeoutMs: 30_000,
  });
  await node.start();
  return {
    port: serverPort,
    url: `${LOOPBACK}:${serverPort}/deepstream`,
    configFile,
    node,
    output: () => node.outputTail(),
    stop: () => node.kill('SIGINT'),
  };
}

export interface ExitedServer {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  elapsedMs: number;
}

/** Runs `deepstream start -c configFile` expecting it to exit by itself within `timeoutMs`. */
export function runDeepstreamToExit(
  configFile: string,
  port: number,
  timeoutMs: number,
): Promise<ExitedServer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, cliArgs(configFile, port), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`deepstream was still running after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, elapsedMs: Date.now() - started });
    });
  });
}

/** Client settings for tests: reconnect at once and keep trying. */
const CLIENT_OPTIONS: Partial<ClientOptions> = {
  reconnectIntervalIncrement: 100,
  maxReconnectInterval: 500,
  maxReconnectAttempts: 1000,
  offlineEnabled: false,
};

export interface TestClient {
  readonly client: DeepstreamClient;
  /** Errors the client reported (`client.on('error')`). */
  readonly errors: string[];
  /** Each time the connection became OPEN again after the first login. */
  reconnects: number;
  close(): void;
}

/** A logged-in `@deepstream/client`. */
export async function connectClient(url: string): Promise<TestClient> {
  const client = new DeepstreamClient(url, CLIENT_OPTIONS);
  const errors: string[] = [];
  client.on('error', (error: unknown, event: unknown, topic: unknown) => {
    errors.push(`${String(event)} ${String(topic)} ${String(error)}`);
  });
  await client.login();
  const handle: TestClient = {
    client,
    errors,
    reconnects: 0,
    close: () => client.close(),
  };
  let sawOpen = false;
  client.on('connectionStateChanged', (state: string) => {
    if (state !== 'OPEN') return;
    if (sawOpen) handle.reconnects++;
    sawOpen = true;
  });
  if (client.getConnectionState() === 'OPEN') sawOpen = true;
  return handle;
}

/** Waits until `predicate` holds, failing with `what` after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(async () => predicate(), { timeoutMs, intervalMs: 10, what });
}

/**
 * A TCP relay between clients and a server whose connections can be cut, so a client loses its
 * connection and reconnects (as after a network blip) while the server keeps running.
 */
export class CuttableRelay {
  private readonly server: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((inbound) => {
      const outbound = net.connect(this.targetPort, LOOPBACK);
      const pair: [net.Socket, net.Socket] = [inbound, outbound];
      this.pairs.add(pair);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      const end = (): void => {
        this.pairs.delete(pair);
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', end).on('close', end);
      outbound.on('error', end).on('close', end);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, LOOPBACK, resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `${LOOPBACK}:${this.port}/deepstream`;
  }

  /** Drops every relayed connection at once. */
  cut(): void {
    for (const [inbound, outbound] of this.pairs) {
      inbound.destroy();
      outbound.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
