import { redactConnectionString, redactText } from '../config/redact';
import { ConnectorError } from '../errors';
import type { Connector, JsonValue } from '../types';

/** deepstream's callbacks (v5+ `@deepstream/types`): errors are strings, versions -1 when missing. */
export type StorageReadCallback = (error: string | null, version: number, data: JsonValue | null) => void;
export type StorageWriteCallback = (error: string | null) => void;
export type StorageHeadCallback = (error: string | null, version: number) => void;
export type StorageHeadBulkCallback = (
  error: string | null,
  versions?: Record<string, number>,
  missing?: string[],
) => void;

interface DeepstreamLogger {
  warn?(event: string, message: string): void;
  error?(event: string, message: string): void;
  /** deepstream's loggers stop the server after a fatal line (`notifyFatalException`). */
  fatal?(event: string, message: string): void;
}

/** The parts of deepstream's `services` argument the adapter uses. */
export interface DeepstreamServices {
  logger?: DeepstreamLogger & { getNameSpace?(name: string): DeepstreamLogger };
  /** Set by deepstream before it constructs `plugins:` entries (after `cache:` and `storage:`). */
  cache?: unknown;
  storage?: unknown;
}

/** Options the adapter reads itself and does not hand to the connector. */
export interface DeepstreamPluginOptions {
  /**
   * How long `whenReady()` waits for the backend before it gives up with one line naming the
   * backend. Default inside deepstream: its `dependencyInitializationTimeout` (2000 ms unless
   * configured) minus a quarter of it, at most 500 ms, so the line that names the backend comes
   * before deepstream's own "wasn't initialised in time". Outside deepstream (no config): the
   * connector's own `connectTimeoutMs`.
   */
  readyTimeoutMs?: number;
}

function describe(err: ConnectorError): string {
  return redactText(`${err.code}: ${err.message}`);
}

/**
 * Adapts any Connector to deepstream's storage/cache plugin interface. deepstream loads plugins
 * with `require(path)` and `new Plugin(options, services, config)`; each backend package exports a
 * subclass of this as `DeepstreamPlugin` and as the module's default export (deepstream
 * uses `require(path).default` when present).
 */
export abstract class DeepstreamConnectorPlugin {
  readonly apiVersion = 2;
  readonly description: string;
  readonly connector: Connector;
  /** The bound on `whenReady()`, in ms (undefined: the connector's own `connectTimeoutMs`). */
  readonly readyTimeoutMs: number | undefined;
  private readonly target: string;
  private readonly rootLogger: DeepstreamLogger | undefined;
  private readonly misplaced: ConnectorError | null = null;
  private ready: Promise<void> | undefined;
  private lastError: ConnectorError | null = null;
  private wasReady = false;

  constructor(options: Record<string, unknown> = {}, services?: DeepstreamServices, config?: unknown) {
    const { readyTimeoutMs, ...connectorOptions } = options as Record<string, unknown> &
      DeepstreamPluginOptions;
    this.readyTimeoutMs = readyBound(readyTimeoutMs, config);
    this.connector = this.createConnector(connectorOptions);
    const url = typeof options.url === 'string' ? ` at ${redactConnectionString(options.url)}` : '';
    this.target = `${this.connector.name}${url}`;
    this.description = `${this.connector.name} connector (connector-kit ${this.connector.version})`;
    this.rootLogger = services?.logger;
    const logger = services?.logger?.getNameSpace?.(this.connector.name) ?? services?.logger;
    // Background errors go to deepstream's logger; without a listener they would go to the console.
    // Until the backend was first reached, failed attempts are kept for whenReady's one line.
    this.wasReady = this.connector.isReady;
    this.connector.once('ready', () => (this.wasReady = true));
    this.connector.on('error', (err: ConnectorError) => {
      this.lastError = err;
      if (this.wasReady && logger?.error) logger.error('PLUGIN_ERROR', describe(err));
    });
    // deepstream constructs `cache:` and `storage:` first and `plugins:` entries last, so a plugin
    // that finds both services already there was configured under `plugins:`: deepstream 5+ would
    // start, never call it for records and keep them in RAM. Refuse that loudly.
    if (services && services.cache !== undefined && services.storage !== undefined) {
      this.misplaced = new ConnectorError(
        'CONFIG',
        `connector-kit: ${this.target} is configured under "plugins:", where deepstream never uses it ` +
          'for records; configure it at the top level as "cache:" or "storage:"',
      );
      this.fail(this.misplaced);
    }
  }

  /** Builds the connector from deepstream's `options` block. */
  protected abstract createConnector(options: Record<string, unknown>): Connector;

  get isReady(): boolean {
    return this.connector.isReady;
  }

  init(): void {}

  /**
   * Resolves once the backend is reachable. Gives up after `readyTimeoutMs` (or at once on a
   * configuration error) with one line naming the backend and its URL without credentials: sent
   * to deepstream's logger as FATAL, which makes deepstream stop, and as the rejection.
   */
  whenReady(): Promise<void> {
    if (!this.ready) this.ready = this.waitForBackend();
    return this.ready;
  }

  private async waitForBackend(): Promise<void> {
    if (this.misplaced) throw this.misplaced;
    if (this.connector.isReady) return;
    let timer: NodeJS.Timeout | undefined;
    const waits = [this.connector.whenReady()];
    const bound = this.readyTimeoutMs;
    if (bound !== undefined) {
      waits.push(
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            const last = this.lastError ? `: ${this.lastError.message}` : '';
            reject(new ConnectorError('NOT_READY', `not reachable within ${bound} ms${last}`));
          }, bound);
        }),
      );
    }
    try {
      await Promise.race(waits);
    } catch (err) {
      const reason = err instanceof ConnectorError ? err : new ConnectorError('BACKEND', String(err));
      // One line: deepstream prints it as the reason it stops.
      const line = `connector-kit: ${this.target}: ${reason.message}`.replace(/\s*\n\s*/g, ' ');
      const error = new ConnectorError(reason.code, redactConnectionString(line), { cause: reason });
      this.fail(error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One FATAL line to deepstream's logger (deepstream then stops), else nothing: the caller sees the error. */
  private fail(error: ConnectorError): void {
    this.rootLogger?.fatal?.('PLUGIN_INITIALIZATION_ERROR', error.message);
  }

  close(): Promise<void> {
    return this.connector.close();
  }

  get(recordName: string, callback: StorageReadCallback): void {
    this.connector.getEntry(recordName, (err, entry) => {
      if (err) callback(describe(err), -1, null);
      else if (!entry) callback(null, -1, null);
      else callback(null, entry.version, entry.value);
    });
  }

  set(recordName: string, version: number, data: JsonValue, callback: StorageWriteCallback): void {
    this.connector.set(recordName, data, { version }, (err) => callback(err ? describe(err) : null));
  }

  delete(recordName: string, callback: StorageWriteCallback): void {
    this.connector.delete(recordName, (err) => callback(err ? describe(err) : null));
  }

  deleteBulk(recordNames: string[], callback: StorageWriteCallback): void {
    this.connector.deleteBulk(recordNames, (err) => callback(err ? describe(err) : null));
  }

  head(recordName: string, callback: StorageHeadCallback): void {
    this.connector.head(recordName, (err, version) => {
      if (err) callback(describe(err), -1);
      else callback(null, version ?? -1);
    });
  }

  headBulk(recordNames: string[], callback: StorageHeadBulkCallback): void {
    this.connector.headBulk(recordNames, (err, versions) => {
      if (err || !versions) {
        callback(err ? describe(err) : 'BACKEND: no result');
        return;
      }
      const found: Record<string, number> = {};
      const missing: string[] = [];
      recordNames.forEach((name, i) => {
        const version = versions[i];
        if (version === null || version === undefined) missing.push(name);
        else found[name] = version;
      });
      callback(null, found, missing);
    });
  }
}

function readyBound(option: unknown, config: unknown): number | undefined {
  if (option !== undefined) {
    if (typeof option !== 'number' || !(option > 0)) {
      throw new ConnectorError(
        'CONFIG',
        'deepstream plugin option "readyTimeoutMs" must be a positive number',
      );
    }
    return option;
  }
  const configured = (config as { dependencyInitializationTimeout?: unknown } | undefined)
    ?.dependencyInitializationTimeout;
  if (typeof configured !== 'number' || !(configured > 0)) return undefined;
  return Math.max(1, configured - Math.min(500, configured / 4));
}

/** Makes a deepstream plugin class for a connector factory. */
export function deepstreamPluginFor(
  factory: (options: Record<string, unknown>) => Connector,
): new (
  options?: Record<string, unknown>,
  services?: DeepstreamServices,
  config?: unknown,
) => DeepstreamConnectorPlugin {
  return class extends DeepstreamConnectorPlugin {
    protected createConnector(options: Record<string, unknown>): Connector {
      return factory(options);
    }
  };
}
