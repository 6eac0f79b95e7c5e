import { redactText } from '../config/redact';
import type { ConnectorError } from '../errors';
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
}

/** The parts of deepstream's `services` argument the adapter uses. */
export interface DeepstreamServices {
  logger?: DeepstreamLogger & { getNameSpace?(name: string): DeepstreamLogger };
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

  constructor(options: Record<string, unknown> = {}, services?: DeepstreamServices, _config?: unknown) {
    this.connector = this.createConnector(options);
    this.description = `${this.connector.name} connector (connector-kit ${this.connector.version})`;
    const logger = services?.logger?.getNameSpace?.(this.connector.name) ?? services?.logger;
    // Background errors go to deepstream's logger; without a listener they would go to the console.
    this.connector.on('error', (err: ConnectorError) => {
      if (logger?.error) logger.error('PLUGIN_ERROR', describe(err));
    });
  }

  /** Builds the connector from deepstream's `options` block. */
  protected abstract createConnector(options: Record<string, unknown>): Connector;

  get isReady(): boolean {
    return this.connector.isReady;
  }

  init(): void {}

  whenReady(): Promise<void> {
    return this.connector.whenReady();
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
