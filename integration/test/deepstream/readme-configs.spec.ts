/**
 * Every deepstream config example in the repository's Markdown files is loaded by deepstream
 * itself (`deepstream start -c`) against the test's real servers, and a record written by a real
 * client is read back from each backend the example configures.
 *
 * An example is any fenced block that names a kit package as a plugin `path:`. It must be YAML
 * (deepstream's config format) and address its backends at their documented local defaults
 * (127.0.0.1:6379 Redis, 127.0.0.1:11211 Memcached, 127.0.0.1:27017 MongoDB, 127.0.0.1:8000
 * DynamoDB Local) and, for the embedded LMDB storage, its documented directory
 * (/var/lib/deepstream/records); the test replaces exactly those with its servers' addresses and
 * a fresh temporary directory, and appends only its endpoint list (harness.ts). A block that
 * cannot be run this way fails its spec.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnector, type Connector } from '@connector-kit/connector-core';
import { randomKey, useService, type ServiceFixture } from '@connector-kit/test-suite';
import {
  connectClient,
  REPO_ROOT,
  startDeepstream,
  TEST_ENDPOINTS,
  writeConfig,
  type DeepstreamServer,
  type TestClient,
} from './harness';

interface ConfigBlock {
  file: string;
  line: number;
  lang: string;
  text: string;
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'dist-test']);

function markdownFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...markdownFiles(full));
    else if (entry.name.endsWith('.md')) found.push(full);
  }
  return found.sort();
}

/** Fenced blocks that name a kit package as a plugin `path:`. */
export function deepstreamBlocks(file: string): ConfigBlock[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks: ConfigBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence); i++) body.push(lines[i]!);
    const text = body.join('\n');
    if (/\bpath:\s*['"]?@connector-kit\//.test(text)) {
      blocks.push({ file: path.relative(REPO_ROOT, file), line: start + 1, lang: open[3] ?? '', text });
    }
  }
  return blocks;
}

const BLOCKS = markdownFiles(REPO_ROOT).flatMap(deepstreamBlocks);

/** The LMDB directory the examples document; each run gets a temporary one instead. */
const LMDB_DOCUMENTED_PATH = '/var/lib/deepstream/records';

/** deepstream's own reading of a config file: `#` stripping, `${VAR}` substitution, defaults. */
async function deepstreamReads(file: string): Promise<Record<string, unknown>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loader = require('@deepstream/server/dist/src/config/js-yaml-loader') as {
    loadConfigWithoutInitialization(
      file: string,
      logs: unknown[],
      args: Record<string, unknown>,
    ): Promise<{ config: Record<string, unknown> }>;
  };
  return (await loader.loadConfigWithoutInitialization(file, [], {})).config;
}

interface PluginSection {
  path?: string;
  options?: Record<string, unknown>;
}

describe('deepstream config examples in the Markdown files', () => {
  const redis = useService('redis');
  const memcached = useService('memcached');
  const mongodb = useService('mongodb');
  const dynamodb = useService('dynamodb-local');

  /** The documented local default of each backend, and the test server that stands in for it. */
  const DEFAULTS: [string, ServiceFixture, (f: ServiceFixture) => string][] = [
    ['127.0.0.1:6379', redis, (f) => new URL(f.url).host],
    ['127.0.0.1:11211', memcached, (f) => new URL(f.url).host],
    ['127.0.0.1:27017', mongodb, (f) => new URL(f.url).host],
    ['127.0.0.1:8000', dynamodb, (f) => new URL(new URL(f.url).searchParams.get('endpoint')!).host],
  ];

  it('there are examples to check (the five backend packages and connector-core document one each)', () => {
    const files = new Set(BLOCKS.map((b) => b.file));
    for (const pkg of [
      'connector-core',
      'cache-redis',
      'cache-memcached',
      'storage-mongodb',
      'storage-dynamodb',
      'storage-lmdb',
    ]) {
      expect(files.has(`packages/${pkg}/README.md`))
        .withContext(`packages/${pkg}/README.md has a deepstream config block`)
        .toBe(true);
    }
  });

  for (const block of BLOCKS) {
    it(`${block.file}:${block.line} loads in deepstream and its records reach every backend it names`, async () => {
      expect(block.lang)
        .withContext('a deepstream config example is YAML (```yaml), as deepstream reads it')
        .toMatch(/^ya?ml$/);
      if (!/^ya?ml$/.test(block.lang)) return;
      expect(block.text)
        .withContext('examples use prefix:, never a URL #fragment (deepstream cuts lines at #)')
        .not.toMatch(/:\/\/[^\s'"]*#/);
      expect(block.text)
        .withContext('the test appends its own endpoint list')
        .not.toMatch(/^connectionEndpoints:/m);

      let text = block.text;
      for (const [address, fixture, hostOf] of DEFAULTS) {
        if (text.includes(address)) text = text.split(address).join(hostOf(fixture));
      }
      const lmdbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-lmdb-'));
      text = text.split(LMDB_DOCUMENTED_PATH).join(lmdbDir);
      const launched = DEFAULTS.filter(([address]) => block.text.includes(address)).map(([, f, hostOf]) =>
        hostOf(f),
      );
      const addresses = text.match(/\b(?:\d{1,3}\.){3}\d{1,3}:\d+|\blocalhost:\d+/g) ?? [];
      expect(addresses.filter((a) => !launched.includes(a)))
        .withContext('addresses other than the documented local defaults cannot be pointed at a test server')
        .toEqual([]);

      const file = writeConfig(`${text}\n${TEST_ENDPOINTS}`);
      const config = await deepstreamReads(file);
      const plugins = (config.plugins ?? {}) as Record<string, PluginSection>;
      for (const [key, section] of Object.entries(plugins)) {
        expect(section.path ?? '')
          .withContext(
            `plugins.${key}: deepstream 5+ never uses plugins: for records; use top-level cache: / storage:`,
          )
          .not.toMatch(/^@connector-kit\//);
      }
      const tiers = (['cache', 'storage'] as const).filter((role) =>
        ((config[role] as PluginSection).path ?? '').startsWith('@connector-kit/'),
      );
      expect(tiers.length)
        .withContext('a top-level cache: or storage: with a kit package')
        .toBeGreaterThan(0);
      if (tiers.length === 0) return;

      const readers: [string, Connector][] = [];
      let server: DeepstreamServer | undefined;
      let client: TestClient | undefined;
      try {
        for (const role of tiers) {
          const section = config[role] as PluginSection;
          const { options = {} } = section;
          let reader: Connector;
          if (section.path === '@connector-kit/storage-lmdb') {
            // LMDB lets another process open the same directory: read what the server wrote.
            const { path: dir, ...rest } = options;
            expect(dir).withContext('an LMDB example uses the documented directory').toBe(lmdbDir);
            reader = createConnector(`lmdb://${String(dir)}`, rest);
          } else if (typeof options.url === 'string') {
            const { url, ...rest } = options;
            reader = createConnector(url, rest);
          } else continue; // the in-process memory cache
          reader.on('error', () => undefined);
          readers.push([role, reader]);
          await reader.whenReady(); // e.g. createTable: true creates the table before the server needs it
        }
        expect(readers.length)
          .withContext('the example names at least one backend the test can read directly')
          .toBeGreaterThan(0);
        server = await startDeepstream(file);
        for (const role of tiers) {
          expect(server.output()).toMatch(new RegExp(`${role} ready: \\w+ connector \\(connector-kit`));
        }
        client = await connectClient(server.url);
        const name = `readme/${randomKey()}`;
        const record = await client.client.record.getRecord(name).whenReady();
        await record.setWithAck({ from: block.file, line: block.line });
        await record.setWithAck({ from: block.file, line: block.line, again: true });
        for (const [role, reader] of readers) {
          const deadline = Date.now() + 10_000;
          let entry = await reader.getEntry(name);
          while (entry?.version !== record.version && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
            entry = await reader.getEntry(name);
          }
          expect<unknown>(entry)
            .withContext(`the ${role} backend holds the record`)
            .toEqual({ value: { from: block.file, line: block.line, again: true }, version: record.version });
        }
        expect(client.errors).toEqual([]);
      } finally {
        client?.close();
        await server?.stop();
        await Promise.all(readers.map(([, r]) => r.close()));
        fs.rmSync(lmdbDir, { recursive: true, force: true });
      }
    }, 90_000);
  }
});
