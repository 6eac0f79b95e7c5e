/**
 * The cache × storage rows the end-to-end specs run, each as a deepstream config (top-level
 * `cache:` / `storage:`, `path:` by package name, `options:` with `prefix:`) and connectors that
 * read the same backends directly.
 */
import { createConnector, type Connector } from '@connector-kit/connector-core';
import { randomPrefix, type ServiceFixture } from '@connector-kit/test-suite';
import { TEST_ENDPOINTS } from './harness';

export interface Tier {
  /** The plugin's `path:` as a user writes it: the package name. */
  readonly path: string;
  /** The real server it talks to (none for the in-process memory cache and embedded LMDB). */
  readonly service?: ServiceFixture;
  /** Connector options besides `prefix` (e.g. `url`, `createTable`). */
  options(): Record<string, unknown>;
}

export interface Row {
  readonly name: string;
  readonly cache: Tier;
  readonly storage: Tier;
}

export function urlOf(fixture: ServiceFixture): Record<string, unknown> {
  return { url: fixture.url };
}

/** One `key: value` line per option, values as JSON (valid YAML, never a `#`). */
function yamlOptions(options: Record<string, unknown>): string {
  return Object.entries(options)
    .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`)
    .join('\n');
}

/** The row's deepstream config, with the test's endpoint list appended. */
export function rowConfig(row: Row, prefix: string, extra = ''): string {
  const tier = (name: 'cache' | 'storage', t: Tier): string => {
    const options = { ...t.options(), prefix };
    for (const value of Object.values(options)) {
      if (typeof value === 'string' && value.includes('#')) {
        throw new Error(`deepstream would cut "${value}" at its "#": use prefix instead`);
      }
    }
    return [`${name}:`, `  path: '${t.path}'`, '  options:', yamlOptions(options)].join('\n');
  };
  return [tier('cache', row.cache), tier('storage', row.storage), extra, TEST_ENDPOINTS].join('\n');
}

/** A connector on the same backend and prefix as the server's plugin, for direct reads. */
export function readerFor(tier: Tier, prefix: string): Connector | null {
  const { url, ...rest } = tier.options();
  if (typeof url !== 'string') return null; // the in-process memory cache
  const connector = createConnector(url, { ...rest, prefix });
  connector.on('error', () => undefined);
  return connector;
}

export function rowPrefix(row: Row): string {
  return `${row.name.replace(/[^a-z0-9]+/gi, '-')}-${randomPrefix()}`;
}
