/**
 * Options of the LMDB storage connector: one interface, one DEFAULTS const, and the URL form
 * `lmdb:///absolute/path?durability=committed#prefix` or `lmdb://relative/path#prefix`. Explicit
 * options win over the URL. Unknown or bad values fail at construction with CONFIG naming the
 * field.
 */
import { resolve } from 'node:path';
import { ConnectorError, type ConnectorOptions } from '@connector-kit/connector-core';
import { KEY_OVERHEAD_BYTES, LMDB_MAX_KEY_BYTES } from './record';

/**
 * When a write is acknowledged:
 * - `flushed`: once its transaction is committed and flushed to disk (fsync): it survives a
 *   killed process, an OS crash and a power cut;
 * - `committed`: once its transaction is committed (visible to every reader, in the OS's page
 *   cache): it survives a killed process; an OS crash or power cut may lose the last commits
 *   (the database stays consistent: LMDB rolls back to the last flushed transaction).
 */
export type LmdbDurability = 'flushed' | 'committed';

export interface LmdbStorageOptions extends ConnectorOptions {
  /** `lmdb:///var/lib/app/data#prefix` (absolute) or `lmdb://data#prefix` (relative to the working directory). */
  url?: string;
  /** The data directory (created if missing). Required unless the URL gives it. */
  path?: string;
  /** When a write is acknowledged (see LmdbDurability). */
  durability?: LmdbDurability;
  /** Largest serialised value accepted, in bytes. */
  maxValueBytes?: number;
  /** How often expired records are removed from disk, in ms (reads never return them); 0: never. */
  sweepIntervalMs?: number;
  /** Most expired records removed in one sweep transaction (the sweep continues in the next one). */
  sweepBatchSize?: number;
}

export const LMDB_STORAGE_DEFAULTS = {
  durability: 'flushed',
  /** 16 MiB. LMDB itself stores values up to 4 GiB, but each is held in memory whole. */
  maxValueBytes: 16 * 1024 * 1024,
  /** Ceiling for `maxValueBytes`: 1 GiB. */
  maxValueBytesLimit: 1024 * 1024 * 1024,
  sweepIntervalMs: 60_000,
  sweepBatchSize: 1000,
  /** LMDB's key limit (1978 bytes with the default 4 KiB page) less the expiry index's 8 bytes. */
  maxKeyBytes: LMDB_MAX_KEY_BYTES - KEY_OVERHEAD_BYTES,
} as const;

/** Everything resolved: URL and options merged, defaults applied, values checked. */
export interface LmdbSettings {
  /** Absolute path of the data directory. */
  path: string;
  durability: LmdbDurability;
  maxValueBytes: number;
  sweepIntervalMs: number;
  sweepBatchSize: number;
  prefix: string;
  /** Longest key without the prefix, in UTF-8 bytes. */
  maxKeyBytes: number;
}

/** Options every connector accepts (handled by the base class). */
const COMMON_OPTIONS = [
  'url',
  'masterUrl',
  'prefix',
  'codec',
  'operationTimeoutMs',
  'connectTimeoutMs',
  'defaultTtl',
  'logger',
] as const;
const OWN_OPTIONS = ['path', 'durability', 'maxValueBytes', 'sweepIntervalMs', 'sweepBatchSize'] as const;
const KNOWN_OPTIONS = new Set<string>([...COMMON_OPTIONS, ...OWN_OPTIONS]);

/** Query parameters a URL may carry, all numeric except `durability`. */
const NUMERIC_URL_PARAMETERS = [
  'maxValueBytes',
  'sweepIntervalMs',
  'sweepBatchSize',
  'operationTimeoutMs',
  'connectTimeoutMs',
  'defaultTtl',
] as const;
const URL_PARAMETERS = new Set<string>(['durability', ...NUMERIC_URL_PARAMETERS]);

const URL_SHAPE = /^lmdb:\/\/([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i;

function configError(field: string, message: string): ConnectorError {
  return new ConnectorError('CONFIG', message, { details: { field } });
}

function decode(text: string, field: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw configError(field, `Invalid percent-encoding in the ${field} of the lmdb:// URL`);
  }
}

/**
 * What the URL says, as options. Everything between `lmdb://` and `?` or `#` is the path
 * (percent-decoded): `lmdb:///srv/data` is `/srv/data`, `lmdb://data` and `lmdb://./data` are
 * `data` under the working directory. (An lmdb URL names no host.)
 */
export function optionsFromUrl(url: string): LmdbStorageOptions {
  if (typeof url !== 'string') throw configError('url', 'The url option must be a string');
  const match = URL_SHAPE.exec(url.trim());
  if (!match) {
    throw configError(
      'url',
      `The LMDB connector expects lmdb:///absolute/path or lmdb://relative/path, got ${JSON.stringify(url)}`,
    );
  }
  const [, rawPath = '', rawQuery, rawFragment] = match;
  const out: LmdbStorageOptions = {};
  const path = decode(rawPath, 'path');
  if (path !== '') out.path = path;
  if (rawQuery) {
    for (const pair of rawQuery.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decode(eq === -1 ? pair : pair.slice(0, eq), 'query');
      const value = eq === -1 ? '' : decode(pair.slice(eq + 1), name);
      if (!URL_PARAMETERS.has(name)) {
        throw configError(
          name,
          `Unknown query parameter "${name}" in the lmdb:// URL; known: ${[...URL_PARAMETERS].join(', ')}`,
        );
      }
      if (name === 'durability') out.durability = value as LmdbDurability;
      else {
        const number = Number(value);
        if (value === '' || !Number.isFinite(number)) {
          throw configError(name, `Query parameter "${name}" must be a number, got "${value}"`);
        }
        out[name as (typeof NUMERIC_URL_PARAMETERS)[number]] = number;
      }
    }
  }
  if (rawFragment !== undefined) out.prefix = decode(rawFragment, 'prefix (#fragment)');
  return out;
}

/** Merges URL and options (options win) into the options the base class is given. */
export function mergeOptions(options: LmdbStorageOptions): LmdbStorageOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw configError('options', 'LmdbStorage expects an options object ({ path } or { url })');
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw configError(
        name,
        `Unknown option "${name}" for the LMDB connector; known: ${[...KNOWN_OPTIONS].join(', ')}`,
      );
    }
  }
  const fromUrl = options.url !== undefined ? optionsFromUrl(options.url) : {};
  const merged: LmdbStorageOptions = { ...fromUrl };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
  }
  return merged;
}

function integerOption(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(
      field,
      `Option ${field} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** Applies defaults and checks every field of the merged options. */
export function resolveSettings(merged: LmdbStorageOptions): LmdbSettings {
  const d = LMDB_STORAGE_DEFAULTS;
  const path = merged.path;
  if (typeof path !== 'string' || path.trim() === '' || path.includes('\0')) {
    throw configError(
      'path',
      path === undefined
        ? 'The LMDB connector needs a data directory: the "path" option, or lmdb:///absolute/path'
        : `Option path must be a non-empty directory path, got ${JSON.stringify(path)}`,
    );
  }
  const durability = merged.durability ?? d.durability;
  if (durability !== 'flushed' && durability !== 'committed') {
    throw configError(
      'durability',
      `Option durability must be "flushed" or "committed", got ${JSON.stringify(durability)}`,
    );
  }
  const prefix = merged.prefix ?? '';
  if (typeof prefix !== 'string') throw configError('prefix', 'The prefix option must be a string');
  const maxKeyBytes = d.maxKeyBytes - Buffer.byteLength(prefix, 'utf8');
  if (maxKeyBytes < 1) {
    throw configError(
      'prefix',
      `The prefix is ${Buffer.byteLength(prefix, 'utf8')} bytes; keys and prefix together must fit in ${d.maxKeyBytes} bytes`,
    );
  }
  return {
    path: resolve(path),
    durability,
    maxValueBytes: integerOption(
      merged.maxValueBytes,
      'maxValueBytes',
      d.maxValueBytes,
      1,
      d.maxValueBytesLimit,
    ),
    sweepIntervalMs: integerOption(
      merged.sweepIntervalMs,
      'sweepIntervalMs',
      d.sweepIntervalMs,
      0,
      2 ** 31 - 1,
    ),
    sweepBatchSize: integerOption(merged.sweepBatchSize, 'sweepBatchSize', d.sweepBatchSize, 1, 1_000_000),
    prefix,
    maxKeyBytes,
  };
}
