import {
  ConnectorError,
  parseConnectorUrl,
  queryBoolean,
  queryNumber,
  type ConnectorOptions,
  type ParsedUrl,
} from '@connector-kit/connector-core';
import type { MongoClient, MongoClientOptions } from 'mongodb';
import { collectionNameProblem } from './key-mapping';

export interface MongoStorageOptions extends ConnectorOptions {
  /**
   * `mongodb://user:pw@host:27017/db?replicaSet=rs0#prefix` or `mongodb+srv://…`. The path names
   * the database, the query carries the driver's options (plus this connector's `defaultCollection`,
   * `splitChar`, `maxIdBytes` and `autoBatch`), the fragment is the key prefix.
   */
  url?: string;
  /** An existing MongoClient. The caller owns it: `close()` leaves it open. */
  client?: MongoClient;
  /** Database name. Default: the URL path, else `connector_kit`. */
  database?: string;
  /** Collection for keys that are not split (and for keys whose collection part is unusable). */
  defaultCollection?: string;
  /**
   * Splits keys into collection and id at the first occurrence of this string: with `'/'`,
   * `user/123` is `_id: '123'` in collection `user`. Empty (default): every key goes to the
   * default collection.
   */
  splitChar?: string;
  /** Ids longer than this many UTF-8 bytes are stored as a SHA-256 hash (full key in `k`). */
  maxIdBytes?: number;
  /** Largest serialised value accepted (codec bytes). MongoDB's document limit is 16 MiB. */
  maxValueBytes?: number;
  /** Create the TTL index at start-up (needs the createIndex privilege). */
  ensureIndexes?: boolean;
  /**
   * Send the single `set`, `get`, `head` and `delete` calls made in one tick together: one unordered
   * `bulkWrite` (sets), one `find` with `$in` (gets, heads) or one `deleteMany` (deletes) per
   * collection. A lone call is sent as before. Off: every call is its own command.
   */
  autoBatch?: boolean;
  /** How often the driver checks an unreachable server again; also the recovery latency. */
  heartbeatFrequencyMS?: number;
  /** Extra options for a MongoClient this connector creates (they win over the URL and defaults). */
  clientOptions?: MongoClientOptions;
}

export const MONGODB_STORAGE_DEFAULTS = {
  database: 'connector_kit',
  defaultCollection: 'records',
  splitChar: '',
  /** Below the 1024-byte index-key limit of MongoDB before 4.2, with room for the prefix. */
  maxIdBytes: 512,
  /** 16 MiB minus room for `_id`, the full key of a hashed id, version and expiry. */
  maxValueBytes: 16 * 1024 * 1024 - 64 * 1024,
  maxKeyBytes: 16 * 1024,
  ensureIndexes: true,
  autoBatch: true,
  /** Most calls sent in one auto-batched command (more in one tick make several commands). */
  maxAutoBatch: 1000,
  heartbeatFrequencyMS: 1000,
} as const;

/** Query parameters this connector reads itself and removes before the driver sees the URL. */
const OWN_QUERY_PARAMS = ['defaultCollection', 'splitChar', 'maxIdBytes', 'autoBatch'] as const;

/** Everything the connector needs, with defaults applied and validated. */
export interface ResolvedMongoOptions {
  /** URL for the driver (no fragment, none of our own parameters); undefined with `client`. */
  driverUrl?: string;
  redactedUrl: string;
  /** Query parameter names of the URL, lower case (driver options given there are not overridden). */
  urlOptionNames: ReadonlySet<string>;
  database: string;
  defaultCollection: string;
  splitChar: string;
  maxIdBytes: number;
  maxValueBytes: number;
  ensureIndexes: boolean;
  autoBatch: boolean;
  heartbeatFrequencyMS: number;
}

function configError(field: string, message: string): ConnectorError {
  return new ConnectorError('CONFIG', message, { details: { field } });
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw configError(field, `Option ${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Removes `#fragment` and our own query parameters; keeps everything else byte for byte. */
function driverUrlOf(url: string): string {
  const hash = url.indexOf('#');
  const withoutFragment = hash === -1 ? url : url.slice(0, hash);
  const question = withoutFragment.indexOf('?');
  if (question === -1) return withoutFragment;
  const own = new Set<string>(OWN_QUERY_PARAMS);
  const kept = withoutFragment
    .slice(question + 1)
    .split('&')
    .filter((pair) => pair !== '' && !own.has(decodeURIComponent(pair.split('=')[0]!)));
  const base = withoutFragment.slice(0, question);
  return kept.length === 0 ? base : `${base}?${kept.join('&')}`;
}

export function resolveOptions(options: MongoStorageOptions): ResolvedMongoOptions {
  if (options === null || typeof options !== 'object') {
    throw configError('options', 'MongoStorage expects an options object (with url or client)');
  }
  let parsed: ParsedUrl | undefined;
  if (options.url !== undefined) {
    parsed = parseConnectorUrl(options.url);
    if (parsed.scheme !== 'mongodb' && parsed.scheme !== 'mongodb+srv') {
      throw configError(
        'url',
        `MongoStorage expects a mongodb:// or mongodb+srv:// URL, got ${parsed.redacted}`,
      );
    }
  } else if (options.client === undefined) {
    throw configError(
      'url',
      'MongoStorage needs a url (mongodb://host/db) or an existing MongoClient (client)',
    );
  }
  const fromQuery = (name: string): string | undefined => parsed?.query[name];
  const defaults = MONGODB_STORAGE_DEFAULTS;
  const database = options.database ?? (parsed?.path || undefined) ?? defaults.database;
  const defaultCollection =
    options.defaultCollection ?? fromQuery('defaultCollection') ?? defaults.defaultCollection;
  const splitChar = options.splitChar ?? fromQuery('splitChar') ?? defaults.splitChar;
  const maxIdBytes = positiveInteger(
    options.maxIdBytes ??
      (parsed ? queryNumber(parsed, 'maxIdBytes', defaults.maxIdBytes) : defaults.maxIdBytes),
    'maxIdBytes',
  );
  const maxValueBytes = positiveInteger(options.maxValueBytes ?? defaults.maxValueBytes, 'maxValueBytes');
  const heartbeatFrequencyMS = positiveInteger(
    options.heartbeatFrequencyMS ?? defaults.heartbeatFrequencyMS,
    'heartbeatFrequencyMS',
  );
  if (typeof database !== 'string' || database === '' || /[/\\. "$*<>:|?\0]/.test(database)) {
    throw configError('database', `Invalid MongoDB database name ${JSON.stringify(database)}`);
  }
  if (typeof splitChar !== 'string') throw configError('splitChar', 'Option splitChar must be a string');
  if (typeof defaultCollection !== 'string' || collectionNameProblem(database, defaultCollection) !== null) {
    const problem =
      typeof defaultCollection === 'string'
        ? collectionNameProblem(database, defaultCollection)
        : 'is not a string';
    throw configError(
      'defaultCollection',
      `Option defaultCollection ${JSON.stringify(defaultCollection)} ${problem}`,
    );
  }
  if (maxValueBytes > 16 * 1024 * 1024) {
    throw configError('maxValueBytes', `Option maxValueBytes cannot exceed MongoDB's 16 MiB document limit`);
  }
  const autoBatch =
    options.autoBatch ??
    (parsed ? queryBoolean(parsed, 'autoBatch', defaults.autoBatch) : defaults.autoBatch);
  if (typeof autoBatch !== 'boolean') {
    throw configError('autoBatch', `Option autoBatch must be true or false, got ${String(autoBatch)}`);
  }
  if (options.client !== undefined && options.clientOptions !== undefined) {
    throw configError(
      'clientOptions',
      'clientOptions cannot be used with an existing client (configure the client itself)',
    );
  }
  return {
    driverUrl:
      options.client === undefined && options.url !== undefined ? driverUrlOf(options.url.trim()) : undefined,
    redactedUrl: parsed?.redacted ?? '(existing MongoClient)',
    urlOptionNames: new Set(Object.keys(parsed?.query ?? {}).map((name) => name.toLowerCase())),
    database,
    defaultCollection,
    splitChar,
    maxIdBytes,
    maxValueBytes,
    ensureIndexes: options.ensureIndexes ?? defaults.ensureIndexes,
    autoBatch,
    heartbeatFrequencyMS,
  };
}
