import type { CodecOption } from '../codec';

/** Where connectors write things a person should read. Defaults to `console` (warn/error only). */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Options every connector accepts. Backend packages extend this with their own fields; all
 * defaults are listed in CONNECTOR_DEFAULTS and documented in the package README.
 */
export interface ConnectorOptions {
  /** Connection URL (`redis://…`, `memory://`, …). The `#fragment` is the key prefix. */
  url?: string;
  /** Optional second URL for writes where a backend reads from replicas. */
  masterUrl?: string;
  /** Key prefix (namespace); overrides the URL fragment. */
  prefix?: string;
  /** Serialisation: `'json'` (default), `'msgpack'` or your own Codec. */
  codec?: CodecOption;
  /** Bound on every operation, including the wait for readiness, in ms. */
  operationTimeoutMs?: number;
  /** How long `whenReady()` waits before rejecting with NOT_READY, in ms (connecting goes on). */
  connectTimeoutMs?: number;
  /** TTL applied to writes that give none, in ms; 0 means no expiry. */
  defaultTtl?: number;
  /** Where warnings go; `'error'` events without a listener are logged here instead of crashing. */
  logger?: Logger;
}

export const CONNECTOR_DEFAULTS = {
  prefix: '',
  codec: 'json',
  operationTimeoutMs: 5000,
  connectTimeoutMs: 10000,
  defaultTtl: 0,
} as const;

export const consoleLogger: Logger = {
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};
