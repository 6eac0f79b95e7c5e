import * as fs from 'node:fs';
import '../../dist/services';
import { canConnect } from '../../dist/services/ports';
import { startService } from '../../dist/services/registry';
import type { ServiceHandle } from '../../dist/services/types';
import { exists, failureOf, redisClient } from './clients';

// Specs start real redis-server processes; generous per-spec deadlines for a small CI machine.
const T = 30_000;

describe('redis launcher', () => {
  describe('plain', () => {
    let handle: ServiceHandle;
    beforeAll(async () => {
      handle = await startService('redis', { local: true });
    }, T);
    afterAll(() => handle?.stop(), T);

    it(
      'serves writes and reads on the advertised URL',
      async () => {
        expect(handle.external).toBe(false);
        expect(handle.nodes.length).toBe(1);
        const node = handle.nodes[0];
        expect(handle.url).toBe(`redis://127.0.0.1:${node.port}`);
        const client = redisClient(node.port);
        try {
          await client.connect();
          await client.set('greeting', 'hello');
          expect(await client.get('greeting')).toBe('hello');
        } finally {
          client.disconnect();
        }
      },
      T,
    );

    it(
      'fails connections after SIGKILL and serves again after restart',
      async () => {
        const node = handle.nodes[0];
        await node.kill('SIGKILL');
        expect(node.running).toBe(false);
        expect(await canConnect(node.port)).toBe(false);
        const dead = redisClient(node.port);
        await failureOf(dead.connect());
        dead.disconnect();

        await node.restart();
        expect(node.running).toBe(true);
        const client = redisClient(node.port);
        try {
          await client.connect();
          await client.set('after-restart', '1');
          expect(await client.get('after-restart')).toBe('1');
        } finally {
          client.disconnect();
        }
      },
      T,
    );

    it(
      'freezes on pause (commands time out) and answers again on resume',
      async () => {
        const node = handle.nodes[0];
        const client = redisClient(node.port, { commandTimeout: 300 });
        try {
          await client.connect();
          node.pause();
          const err = await failureOf(client.ping());
          expect(err.message).toMatch(/timed out/i);
          node.resume();
          expect(await client.ping()).toBe('PONG');
        } finally {
          node.resume();
          client.disconnect();
        }
      },
      T,
    );
  });

  it(
    'requires the password when started with one',
    async () => {
      const handle = await startService('redis', { local: true, password: 's3cret pw' });
      try {
        const port = handle.nodes[0].port;
        expect(handle.url).toBe(`redis://:s3cret%20pw@127.0.0.1:${port}`);
        // No ready check: it would fail with NOAUTH and close the connection before our command.
        const anonymous = redisClient(port, { enableReadyCheck: false });
        await anonymous.connect();
        const err = await failureOf(anonymous.get('x'));
        expect(err.message).toMatch(/NOAUTH/);
        anonymous.disconnect();

        const client = redisClient(port, { password: 's3cret pw' });
        await client.connect();
        await client.set('k', 'v');
        expect(await client.get('k')).toBe('v');
        client.disconnect();
      } finally {
        await handle.stop();
      }
    },
    T,
  );

  it(
    'serves TLS only, verifiable with the generated CA',
    async () => {
      const handle = await startService('redis', { local: true, tls: true });
      try {
        const port = handle.nodes[0].port;
        expect(handle.url).toBe(`rediss://127.0.0.1:${port}`);
        const ca = fs.readFileSync(String(handle.info.caPath));
        // Verified once by IP (the SAN IP:127.0.0.1) and once by name (DNS:localhost).
        for (const servername of [undefined, 'localhost']) {
          const client = redisClient(port, { tls: servername ? { ca, servername } : { ca } });
          await client.connect();
          await client.set('secure', servername ?? 'ip');
          expect(await client.get('secure')).toBe(servername ?? 'ip');
          client.disconnect();
        }
        // Without the CA the certificate must not verify.
        const untrusting = redisClient(port, { tls: {} });
        const errors: string[] = [];
        untrusting.on('error', (e: Error) => errors.push(e.message));
        await failureOf(untrusting.connect());
        expect(errors.join('\n')).toMatch(/certificate/i);
        untrusting.disconnect();
      } finally {
        await handle.stop();
      }
    },
    T,
  );

  it(
    'removes its temporary directory and kills the server on stop (twice is fine)',
    async () => {
      const handle = await startService('redis', { local: true });
      const dir = String(handle.info.dir);
      const node = handle.nodes[0];
      expect(exists(dir)).toBe(true);
      await handle.stop();
      await handle.stop();
      expect(exists(dir)).toBe(false);
      expect(node.running).toBe(false);
      expect(await canConnect(node.port)).toBe(false);
    },
    T,
  );
});
