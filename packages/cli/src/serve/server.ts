/**
 * A deepstream server whose top-level `cache` and `storage` slots are connectors of the kit, built
 * from URLs through core's registry. The connectors are ready before deepstream starts (a backend
 * that is down fails the start within the connect timeout); deepstream closes them when it stops.
 */
import * as net from 'node:net';
import { deepstreamPluginFor, type Connector } from '@connector-kit/connector-core';
import type { DeepstreamConfig, PartialDeepstreamConfig } from '@deepstream/types';
import { openConnector } from '../connect';
import { CliError } from '../errors';
import type { LogLevelName } from '../parse';

export interface ServerOptions {
  cacheUrl: string;
  storageUrl: string;
  port: number;
  host: string;
  logLevel: LogLevelName;
  connectTimeoutMs: number;
}

export interface RunningServer {
  /** Where clients connect: `ws://host:port/deepstream`. */
  readonly url: string;
  /** deepstream's HTTP API on the same port. */
  readonly httpUrl: string;
  readonly deepstreamVersion: string;
  readonly cache: Connector;
  readonly storage: Connector;
  /** Stops deepstream (which closes the connectors after their pending writes). Safe to call twice. */
  stop(): Promise<void>;
}

/** deepstream's LOG_LEVEL values (`@deepstream/types`), by name. */
const DEEPSTREAM_LOG_LEVEL: Record<LogLevelName, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 100 };

/** The host a client on this machine uses for a server bound to `host`. */
export function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** Fails with one line if something already listens on host:port (deepstream would crash on it). */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new CliError(
          err.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use (choose another with --port)`
            : `cannot listen on ${host}:${port}: ${err.message}`,
        ),
      );
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Opens both connectors; if either fails, closes the other and reports every failure in one line. */
async function openTiers(options: ServerOptions): Promise<{ cache: Connector; storage: Connector }> {
  const common = { connectTimeoutMs: options.connectTimeoutMs };
  const [cache, storage] = await Promise.allSettled([
    openConnector(options.cacheUrl, { ...common, role: 'cache' }),
    openConnector(options.storageUrl, { ...common, role: 'storage' }),
  ]);
  if (cache.status === 'fulfilled' && storage.status === 'fulfilled') {
    return { cache: cache.value, storage: storage.value };
  }
  const failures: string[] = [];
  for (const result of [cache, storage]) {
    if (result.status === 'fulfilled') await result.value.close().catch(() => undefined);
    else failures.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
  }
  throw new CliError(failures.join('; '));
}

function deepstreamConfig(options: ServerOptions): PartialDeepstreamConfig {
  const config: Partial<DeepstreamConfig> = {
    showLogo: false,
    logLevel: DEEPSTREAM_LOG_LEVEL[options.logLevel],
    httpServer: { type: 'default', options: { host: options.host, port: options.port } },
    // deepstream's defaults minus MQTT, which would take a second port (1883) of its own.
    connectionEndpoints: [
      { type: 'ws-binary', options: {} },
      { type: 'ws-text', options: {} },
      { type: 'ws-json', options: {} },
      { type: 'http', options: {} },
    ],
  };
  return config as PartialDeepstreamConfig;
}

/** Starts deepstream on the kit; resolves once it accepts connections. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  await assertPortFree(options.host, options.port);
  const { cache, storage } = await openTiers(options);
  // Loaded here, not at the top: requiring deepstream takes a while, and only `serve` needs it.
  const { Deepstream } = await import('@deepstream/server');
  // Requiring deepstream renames the process to "deepstream server"; `ps` should say what runs it.
  process.title = 'connector-kit serve';
  const server = new Deepstream(deepstreamConfig(options));
  const services = server.getServices();
  // The connectors go into deepstream's own cache and storage slots, so every record read and
  // write goes through the kit (deepstream does the tiering: cache first, then storage).
  // Only the logger is handed on: a plugin that finds deepstream's cache and storage services
  // already built takes itself for a `plugins:` entry and refuses to run.
  const CachePlugin = deepstreamPluginFor(() => cache);
  const StoragePlugin = deepstreamPluginFor(() => storage);
  server.set('cache', new CachePlugin({}, { logger: services.logger }));
  server.set('storage', new StoragePlugin({}, { logger: services.logger }));

  await new Promise<void>((resolve, reject) => {
    const onFatal = (): void => {
      reject(new CliError('deepstream could not start (see its log line above)'));
    };
    server.once('FATAL_EXCEPTION', onFatal);
    server.once('started', () => {
      server.off('FATAL_EXCEPTION', onFatal);
      resolve();
    });
    server.start();
  }).catch(async (err: unknown) => {
    await Promise.allSettled([cache.close(), storage.close()]);
    throw err;
  });

  let stopping: Promise<void> | null = null;
  const host = clientHost(options.host);
  return {
    url: `ws://${host}:${options.port}/deepstream`,
    httpUrl: `http://${host}:${options.port}/api`,
    deepstreamVersion: deepstreamVersion(),
    cache,
    storage,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.once('stopped', () => resolve());
          server.stop();
        });
        // deepstream closed both while shutting its services down; close() is idempotent and
        // resolves once pending writes are settled and connections released.
        await Promise.all([cache.close(), storage.close()]);
      })();
      return stopping;
    },
  };
}

function deepstreamVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@deepstream/server/package.json') as { version: string }).version;
}
