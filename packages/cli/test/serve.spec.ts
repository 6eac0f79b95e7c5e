/**
 * `connector-kit serve` as a user runs it: a real deepstream server in a child process, real
 * `@deepstream/client`s, a real storage backend, Ctrl-C (SIGINT) between two runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeepstreamClient } from '@deepstream/client';
import { freePort, randomPrefix, useService } from '@connector-kit/test-suite';
import { CliProcess, runCli } from './helpers';

const START_TIMEOUT_MS = 30_000;

async function connect(url: string): Promise<DeepstreamClient> {
  const client = new DeepstreamClient(url);
  await client.login();
  return client;
}

/** Starts `serve` and waits for its banner; returns the process and the URL it printed. */
async function startServe(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ serve: CliProcess; url: string }> {
  const serve = new CliProcess(['serve', ...args], { env, cwd, killAfterMs: 120_000 });
  const match = await serve.waitForStdout(/is listening on (ws:\/\/\S+)/, START_TIMEOUT_MS);
  await serve.waitForStdout(/Ctrl-C stops the server/, 5_000);
  return { serve, url: match[1]! };
}

describe('connector-kit serve', () => {
  const redis = useService('redis');
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-kit-cli-serve-'));
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves records through the kit, stops on SIGINT with exit 0, and serves them again after a restart', async () => {
    const storageUrl = `${redis.url}#${randomPrefix()}`;
    const port = await freePort();
    const env = { STORAGE_URL: storageUrl };
    const args = ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];

    const first = await startServe(args, env, dataDir);
    expect(first.url).toBe(`ws://127.0.0.1:${port}/deepstream`);
    expect(first.serve.stdout).toContain(`new DeepstreamClient('ws://127.0.0.1:${port}/deepstream')`);
    expect(first.serve.stdout).toMatch(/cache {4}memory:\/\/ \(memory connector\)/);
    expect(first.serve.stdout).toMatch(
      /storage {2}redis:\/\/127\.0\.0\.1:\d+#spec-[0-9a-f]+: \(redis connector\)/,
    );

    const writer = await connect(first.url);
    const books = {
      'books/1': { title: 'Sketch of the Analytical Engine', year: 1843 },
      'books/2': { title: 'On Computable Numbers', year: 1936, tags: ['logic'] },
    };
    for (const [name, data] of Object.entries(books)) await writer.record.setDataWithAck(name, data);
    writer.close();

    // deepstream wrote through the kit: the storage connector holds the record and its version.
    const stored = await runCli(['get', storageUrl, 'books/2', '--entry']);
    expect(stored.code).withContext(stored.stderr).toBe(0);
    expect(JSON.parse(stored.stdout)).toEqual({ version: 1, value: books['books/2'] });

    first.serve.signal('SIGINT');
    const stopped = await first.serve.exited;
    expect(stopped.code).withContext(stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain('SIGINT: stopping deepstream, flushing and closing the connectors');
    expect(stopped.stdout).toContain('connector-kit: stopped.');
    expect(stopped.stderr).toBe('');

    // A second run (port from PORT this time) reads them back: its memory cache starts empty, so
    // deepstream gets them from storage.
    const second = await startServe(
      ['--host', '127.0.0.1', '--data-dir', dataDir],
      { ...env, PORT: String(port) },
      dataDir,
    );
    const reader = await connect(second.url);
    for (const [name, data] of Object.entries(books)) {
      expect(await reader.record.snapshot(name))
        .withContext(name)
        .toEqual(data);
    }
    expect(await reader.record.head('books/1')).toBe(1);
    reader.close();

    second.serve.signal('SIGTERM');
    const stoppedAgain = await second.serve.exited;
    expect(stoppedAgain.code).withContext(stoppedAgain.stderr).toBe(0);
    expect(stoppedAgain.stdout).toContain('SIGTERM: stopping deepstream');
  }, 120_000);

  it('keeps records in the embedded storage in ./data by default, and serves them after a restart', async () => {
    const port = await freePort();
    const records = {
      'notes/1': { text: 'first', tags: ['a'] },
      'notes/2': { text: 'second', nested: { n: 2, ok: true, none: null } },
    };

    const first = await startServe(['--port', String(port), '--host', '127.0.0.1'], {}, dataDir);
    const dataPath = path.join(dataDir, 'data');
    const storageUrl = `lmdb://${dataPath}`;
    expect(first.serve.stdout).toContain(`storage  ${storageUrl} (lmdb connector)`);
    const writer = await connect(first.url);
    for (const [name, data] of Object.entries(records)) await writer.record.setDataWithAck(name, data);
    await writer.record.setDataWithAck('notes/1', { text: 'first, edited', tags: ['a', 'b'] });
    writer.close();

    first.serve.signal('SIGINT');
    const stopped = await first.serve.exited;
    expect(stopped.code).withContext(stopped.stderr).toBe(0);
    expect(fs.readdirSync(dataPath)).toContain('data.mdb');

    // The stopped server's store, read through the kit: deepstream's version and data.
    const stored = await runCli(['get', storageUrl, 'notes/1', '--entry']);
    expect(JSON.parse(stored.stdout)).toEqual({
      version: 2,
      value: { text: 'first, edited', tags: ['a', 'b'] },
    });

    // Started again from another directory, pointed at the same store with --data-dir.
    const second = await startServe(
      ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dataPath],
      {},
      os.tmpdir(),
    );
    expect(second.serve.stdout).toContain(`storage  ${storageUrl} (lmdb connector)`);
    const reader = await connect(second.url);
    expect(await reader.record.snapshot('notes/1')).toEqual({ text: 'first, edited', tags: ['a', 'b'] });
    expect(await reader.record.snapshot('notes/2')).toEqual(records['notes/2']);
    expect(await reader.record.head('notes/1')).toBe(2);
    reader.close();
    second.serve.signal('SIGINT');
    expect((await second.serve.exited).code).toBe(0);
  }, 120_000);

  it('uses CACHE_URL for the cache slot: records land in Redis as the cache', async () => {
    const cacheUrl = `${redis.url}#${randomPrefix()}`;
    const { serve, url } = await startServe(
      ['--port', String(await freePort()), '--host', '127.0.0.1', '--storage', 'memory://'],
      { CACHE_URL: cacheUrl },
      dataDir,
    );
    expect(serve.stdout).toMatch(/cache {4}redis:\/\/127\.0\.0\.1:\d+#spec-[0-9a-f]+: \(redis connector\)/);
    const client = await connect(url);
    await client.record.setDataWithAck('cached/1', { hot: true });
    client.close();
    const inCache = await runCli(['get', cacheUrl, 'cached/1']);
    expect(inCache.stdout).toBe('{"hot":true}\n');
    serve.signal('SIGINT');
    expect((await serve.exited).code).toBe(0);
  }, 60_000);

  it('is what `npm start` runs (scripts/start.sh), with the arguments passed through', async () => {
    const root = path.join(__dirname, '..', '..', '..');
    const port = await freePort();
    const serve = new CliProcess(
      [
        path.join(root, 'scripts', 'start.sh'),
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--storage',
        'memory://',
      ],
      { program: 'bash', cwd: root, killAfterMs: 120_000 },
    );
    await serve.waitForStdout(new RegExp(`is listening on ws://127\\.0\\.0\\.1:${port}/deepstream`), 90_000);
    const client = await connect(`ws://127.0.0.1:${port}/deepstream`);
    await client.record.setDataWithAck('start/1', { ok: true });
    expect(await client.record.snapshot('start/1')).toEqual({ ok: true });
    client.close();
    serve.signal('SIGINT');
    const result = await serve.exited;
    expect(result.code).withContext(result.stderr).toBe(0);
  }, 120_000);

  describe('while a storage write hangs (redis-server paused)', () => {
    const slow = useService('redis');

    /** A server whose storage is `slow`, with one record write stuck in flight. */
    async function serveWithStuckWrite(extra: string[]): Promise<CliProcess> {
      const { serve, url } = await startServe(
        ['--port', String(await freePort()), '--host', '127.0.0.1', ...extra],
        { STORAGE_URL: `${slow.url}#${randomPrefix()}` },
        dataDir,
      );
      const client = await connect(url);
      slow.handle.nodes[0]!.pause();
      client.record.setData('stuck/1', { waiting: true });
      await new Promise((r) => setTimeout(r, 500));
      client.close();
      return serve;
    }

    afterEach(() => {
      if (!slow.unavailable) slow.handle.nodes[0]!.resume();
    });

    it('a second SIGINT exits at once with 130', async () => {
      const serve = await serveWithStuckWrite([]);
      serve.signal('SIGINT');
      await serve.waitForStdout(/SIGINT: stopping/, 5_000);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(serve.child.exitCode).withContext('still stopping after 1 s').toBeNull();
      const secondAt = Date.now();
      serve.signal('SIGINT');
      const result = await serve.exited;
      expect(result.code).toBe(130);
      expect(Date.now() - secondAt).toBeLessThan(1_000);
      expect(result.stderr).toContain('connector-kit: stopped without waiting for the connectors to flush');
    }, 60_000);

    it('a stop that takes longer than --stop-timeout exits 1 with one line', async () => {
      const serve = await serveWithStuckWrite(['--stop-timeout', '800']);
      serve.signal('SIGTERM');
      const result = await serve.exited;
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'connector-kit: stopping took longer than 800 ms; writes still pending may not have reached storage\n',
      );
    }, 60_000);
  });
});
