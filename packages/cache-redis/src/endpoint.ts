import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import {
  ConnectorError,
  parseConnectorUrl,
  queryBoolean,
  redactUrl,
  type ParsedUrl,
} from '@connector-kit/connector-core';
import { REDIS_CACHE_DEFAULTS, type RedisCacheOptions } from './options';

export interface HostAndPort {
  host: string;
  port: number;
}

/** Where the data lives: one server, a cluster (seed nodes) or a Sentinel-managed master. */
export type Topology =
  | { kind: 'standalone'; host: string; port: number }
  | { kind: 'cluster'; nodes: HostAndPort[] }
  | { kind: 'sentinel'; sentinels: HostAndPort[]; name: string };

/** Everything needed to connect, from the URL and the options together. */
export interface Endpoint {
  topology: Topology;
  username?: string;
  password?: string;
  db: number;
  tls?: TlsOptions;
  sentinelPassword?: string;
  /** The address without credentials, for messages. */
  redacted: string;
}

export const REDIS_SCHEMES = ['redis', 'rediss', 'redis+cluster', 'redis+sentinel'] as const;

/** Query parameters that configure the connection. */
const CONNECTION_PARAMS = new Set(['db', 'tls', 'ca', 'cert', 'key', 'servername']);
/** Query parameters the connector itself reads (see connectorParamsFromUrl). */
export const CONNECTOR_PARAMS = new Set(['defaultTtl', 'operationTimeoutMs', 'connectTimeoutMs']);

function configError(message: string, field: string): ConnectorError {
  return new ConnectorError('CONFIG', message, { details: { field } });
}

function parseDb(text: string, field: string, redacted: string): number {
  if (!/^\d+$/.test(text))
    throw configError(`Redis database must be a number >= 0, got "${text}" in ${redacted}`, field);
  return Number(text);
}

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw configError(`Cannot read the TLS ${field} file "${path}" (${reason})`, field);
  }
}

function withPorts(hosts: ParsedUrl['hosts'], port: number): HostAndPort[] {
  return hosts.map((h) => ({ host: h.host, port: h.port ?? port }));
}

/** Reads the URL part of the configuration. */
function endpointFromUrl(url: string): Endpoint {
  const parsed = parseConnectorUrl(url);
  const { scheme, redacted } = parsed;
  if (!(REDIS_SCHEMES as readonly string[]).includes(scheme)) {
    throw configError(
      `The Redis connector handles ${REDIS_SCHEMES.join('://, ')}:// URLs, got ${redacted}`,
      'url',
    );
  }
  for (const name of Object.keys(parsed.query)) {
    if (!CONNECTION_PARAMS.has(name) && !CONNECTOR_PARAMS.has(name)) {
      throw configError(
        `Unknown query parameter "${name}" in ${redacted}; known: ${[...CONNECTION_PARAMS, ...CONNECTOR_PARAMS].join(', ')}`,
        name,
      );
    }
  }
  let topology: Topology;
  let db = parsed.query.db !== undefined ? parseDb(parsed.query.db, 'db', redacted) : REDIS_CACHE_DEFAULTS.db;
  if (scheme === 'redis+cluster') {
    if (parsed.hosts.length === 0)
      throw configError(`A redis+cluster:// URL needs at least one seed node: ${redacted}`, 'url');
    if (parsed.path !== '' || parsed.query.db !== undefined) {
      throw configError(
        `Redis Cluster has no databases; remove "/${parsed.path}" or "db" from ${redacted}`,
        'db',
      );
    }
    topology = { kind: 'cluster', nodes: withPorts(parsed.hosts, REDIS_CACHE_DEFAULTS.port) };
  } else if (scheme === 'redis+sentinel') {
    if (parsed.hosts.length === 0)
      throw configError(`A redis+sentinel:// URL needs at least one Sentinel: ${redacted}`, 'url');
    if (parsed.path === '' || parsed.path.includes('/')) {
      throw configError(
        `A redis+sentinel:// URL names the master in its path (…/mymaster): ${redacted}`,
        'url',
      );
    }
    topology = {
      kind: 'sentinel',
      sentinels: withPorts(parsed.hosts, REDIS_CACHE_DEFAULTS.sentinelPort),
      name: parsed.path,
    };
  } else {
    if (parsed.hosts.length > 1) {
      throw configError(
        `A ${scheme}:// URL names one server; use redis+cluster:// for several: ${redacted}`,
        'url',
      );
    }
    const first = parsed.hosts[0];
    topology = {
      kind: 'standalone',
      host: first?.host ?? '127.0.0.1',
      port: first?.port ?? REDIS_CACHE_DEFAULTS.port,
    };
    if (parsed.path !== '') {
      if (parsed.query.db !== undefined)
        throw configError(`The database is given twice (path and ?db) in ${redacted}`, 'db');
      db = parseDb(parsed.path, 'db', redacted);
    }
  }
  const useTls = scheme === 'rediss' || queryBoolean(parsed, 'tls', false);
  const tlsFiles = ['ca', 'cert', 'key'].filter((name) => parsed.query[name] !== undefined);
  if (!useTls && (tlsFiles.length > 0 || parsed.query.servername !== undefined)) {
    throw configError(
      `TLS parameters need rediss:// (or ?tls=true): ${redacted}`,
      tlsFiles[0] ?? 'servername',
    );
  }
  let tls: TlsOptions | undefined;
  if (useTls) {
    tls = {};
    for (const name of tlsFiles) (tls as Record<string, unknown>)[name] = readPem(parsed.query[name]!, name);
    if (parsed.query.servername !== undefined) tls.servername = parsed.query.servername;
  }
  return { topology, username: parsed.username, password: parsed.password, db, tls, redacted };
}

function checkAddress(value: unknown, field: string): HostAndPort {
  const address = value as { host?: unknown; port?: unknown } | null;
  if (
    address === null ||
    typeof address !== 'object' ||
    typeof address.host !== 'string' ||
    address.host === ''
  ) {
    throw configError(`Option ${field} must be { host, port }`, field);
  }
  const port = address.port ?? REDIS_CACHE_DEFAULTS.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw configError(`Option ${field}.port must be a port number, got ${String(port)}`, `${field}.port`);
  }
  return { host: address.host, port };
}

/**
 * Builds the endpoint from `url` (the reader's URL or masterUrl) and the explicit options,
 * which win. Throws CONFIG naming the bad field; never echoes a password.
 */
export function resolveEndpoint(options: RedisCacheOptions, url: string | undefined): Endpoint {
  let endpoint: Endpoint;
  if (url !== undefined) {
    endpoint = endpointFromUrl(url);
  } else if (options.nodes !== undefined) {
    if (!Array.isArray(options.nodes) || options.nodes.length === 0) {
      throw configError('Option nodes must be a non-empty array of { host, port }', 'nodes');
    }
    const nodes = options.nodes.map((n, i) => checkAddress(n, `nodes[${i}]`));
    endpoint = {
      topology: { kind: 'cluster', nodes },
      db: 0,
      redacted: `redis+cluster://${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    };
  } else {
    const address = checkAddress({ host: options.host ?? '127.0.0.1', port: options.port }, 'host');
    endpoint = {
      topology: { kind: 'standalone', ...address },
      db: 0,
      redacted: `redis://${address.host}:${address.port}`,
    };
  }
  if (options.username !== undefined) endpoint.username = stringOption(options.username, 'username');
  if (options.password !== undefined) endpoint.password = stringOption(options.password, 'password');
  if (options.sentinelPassword !== undefined)
    endpoint.sentinelPassword = stringOption(options.sentinelPassword, 'sentinelPassword');
  if (options.db !== undefined) {
    if (typeof options.db !== 'number' || !Number.isInteger(options.db) || options.db < 0) {
      throw configError(`Option db must be an integer >= 0, got ${String(options.db)}`, 'db');
    }
    if (endpoint.topology.kind === 'cluster' && options.db !== 0)
      throw configError('Redis Cluster has no databases; remove option db', 'db');
    endpoint.db = options.db;
  }
  if (options.tls !== undefined && options.tls !== false) {
    if (options.tls !== true && (options.tls === null || typeof options.tls !== 'object')) {
      throw configError('Option tls must be true or an object of tls.connect options', 'tls');
    }
    endpoint.tls = { ...endpoint.tls, ...(options.tls === true ? {} : options.tls) };
  }
  endpoint.redacted = redactUrl(endpoint.redacted);
  return endpoint;
}

function stringOption(value: unknown, field: string): string {
  if (typeof value !== 'string') throw configError(`Option ${field} must be a string`, field);
  return value;
}

/** Connector options given as URL query parameters (`?defaultTtl=60000`), as numbers. */
export function connectorParamsFromUrl(
  url: string | undefined,
): Partial<Record<'defaultTtl' | 'operationTimeoutMs' | 'connectTimeoutMs', number>> {
  if (url === undefined) return {};
  const parsed = parseConnectorUrl(url);
  const out: Partial<Record<'defaultTtl' | 'operationTimeoutMs' | 'connectTimeoutMs', number>> = {};
  for (const name of CONNECTOR_PARAMS) {
    const text = parsed.query[name];
    if (text === undefined) continue;
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) {
      throw configError(
        `Query parameter "${name}" must be a number of milliseconds, got "${text}" in ${parsed.redacted}`,
        name,
      );
    }
    out[name as 'defaultTtl'] = value;
  }
  return out;
}
