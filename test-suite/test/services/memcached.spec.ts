import '../../dist/services';
import { sleep } from '../../dist/services/wait';
import { canConnect } from '../../dist/services/ports';
import { startService } from '../../dist/services/registry';
import type { ServiceHandle } from '../../dist/services/types';
import { exists, failureOf, mcGet, mcSet, memcachedClient, type MemcachedClient } from './clients';

const T = 30_000;

/** Runs `body` with a fresh client, always closing it. */
async function withClient<T>(servers: string[], body: (c: MemcachedClient) => Promise<T>): Promise<T> {
  const client = memcachedClient(servers);
  try {
    return await body(client);
  } finally {
    client.end();
  }
}

describe('memcached launcher', () => {
  let handle: ServiceHandle;
  let server: string;
  beforeAll(async () => {
    handle = await startService('memcached', { local: true });
    server = `127.0.0.1:${handle.nodes[0].port}`;
  }, T);
  afterAll(() => handle?.stop(), T);

  it(
    'serves writes and reads on the advertised URL',
    async () => {
      expect(handle.external).toBe(false);
      expect(handle.url).toBe(`memcached://${server}`);
      expect(handle.info.maxItemBytes).toBe(1024 * 1024);
      await withClient([server], async (c) => {
        await mcSet(c, 'greeting', 'hello');
        expect(await mcGet(c, 'greeting')).toBe('hello');
      });
    },
    T,
  );

  it(
    'fails after SIGKILL and serves again after restart',
    async () => {
      const node = handle.nodes[0];
      await node.kill('SIGKILL');
      expect(await canConnect(node.port)).toBe(false);
      await withClient([server], async (c) => {
        await failureOf(mcSet(c, 'k', 'v'));
      });
      await node.restart();
      await withClient([server], async (c) => {
        expect(await mcSet(c, 'k', 'v2')).toBe(true);
        expect(await mcGet(c, 'k')).toBe('v2');
      });
    },
    T,
  );

  it(
    'hangs while paused and answers the waiting request on resume',
    async () => {
      const node = handle.nodes[0];
      await withClient([server], async (c) => {
        await mcSet(c, 'p', '1');
        node.pause();
        try {
          // The memcached client has no per-request timeout: against a hung server it just waits.
          const pending = mcGet(c, 'p');
          const first = await Promise.race([pending, sleep(500).then(() => 'still waiting')]);
          expect(first).toBe('still waiting');
          node.resume();
          expect(await pending).toBe('1');
        } finally {
          node.resume();
        }
      });
    },
    T,
  );

  it(
    'applies maxItemBytes (-I) and removes its directory on stop',
    async () => {
      const small = await startService('memcached', { local: true, maxItemBytes: 64 * 1024 });
      const dir = (small.info.tempDirs as string[])[0];
      try {
        expect(small.info.maxItemBytes).toBe(64 * 1024);
        await withClient([`127.0.0.1:${small.nodes[0].port}`], async (c) => {
          expect(await mcSet(c, 'fits', 'x'.repeat(32 * 1024))).toBe(true);
          // The server answers SERVER_ERROR; the client reports it as "not stored".
          expect(await mcSet(c, 'too-big', 'x'.repeat(100 * 1024))).toBe(false);
        });
      } finally {
        await small.stop();
      }
      expect(exists(dir)).toBe(false);
      expect(small.nodes[0].running).toBe(false);
    },
    T,
  );
});

describe('memcached-pool launcher', () => {
  it(
    'starts `size` independent servers listed in the URL',
    async () => {
      const pool = await startService('memcached-pool', { local: true, size: 3 });
      try {
        const servers = pool.nodes.map((n) => `127.0.0.1:${n.port}`);
        expect(new Set(servers).size).toBe(3);
        expect(pool.url).toBe(`memcached://${servers.join(',')}`);
        for (const [i, s] of servers.entries()) {
          await withClient([s], (c) => mcSet(c, 'which', `node-${i}`));
        }
        // Killing one member leaves the others serving their own data.
        await pool.nodes[0].kill('SIGKILL');
        for (const [i, s] of servers.entries()) {
          if (i === 0) continue;
          await withClient([s], async (c) => expect(await mcGet(c, 'which')).toBe(`node-${i}`));
        }
      } finally {
        await pool.stop();
      }
    },
    T,
  );
});
