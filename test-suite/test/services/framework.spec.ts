import * as net from 'node:net';
import '../../dist/services';
import { canConnect, freePorts, ownsListeningPort, waitForPort } from '../../dist/services/ports';
import { ProcessNode } from '../../dist/services/process-node';
import { registeredServices, startService } from '../../dist/services/registry';
import { waitUntil } from '../../dist/services/wait';
import { failureOf } from './clients';

const T = 20_000;

/** A tiny TCP server in a child Node process, standing in for a real server binary. */
function nodeServer(port: number, script = ''): ProcessNode {
  const code = `${script}; require('net').createServer((s) => s.end('hi')).listen(${port}, '127.0.0.1')`;
  return new ProcessNode({
    label: 'node-server',
    command: process.execPath,
    args: ['-e', code],
    port,
    startTimeoutMs: 5000,
  });
}

describe('service framework', () => {
  it('registers every launcher', () => {
    expect(registeredServices()).toEqual(
      jasmine.arrayContaining([
        'redis',
        'redis-cluster',
        'memcached',
        'memcached-pool',
        'dynamodb-local',
        'dynalite',
      ]),
    );
  });

  it('hands out distinct free loopback ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(await canConnect(port)).toBe(false);
  });

  it('gives up waiting for a port at the deadline, naming what it waited for', async () => {
    const [port] = await freePorts(1);
    const started = Date.now();
    const err = await failureOf(waitForPort(port, { timeoutMs: 300, what: 'nothing at all' }));
    expect(err.message).toMatch(/Timed out after 300 ms waiting for nothing at all/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports the last error of a wait that timed out', async () => {
    const err = await failureOf(
      waitUntil(() => Promise.reject(new Error('still booting')), { timeoutMs: 200, what: 'boot' }),
    );
    expect(err.message).toContain('last error: still booting');
  });

  it(
    'fails a start with the server’s own output when it exits early',
    async () => {
      const [port] = await freePorts(1);
      const node = new ProcessNode({
        label: 'crasher',
        command: process.execPath,
        args: ['-e', 'console.error("fatal: config is broken"); process.exit(3)'],
        port,
      });
      const err = await failureOf(node.start());
      expect(err.message).toContain('exited with code 3');
      expect(err.message).toContain('fatal: config is broken');
      expect(node.running).toBe(false);
    },
    T,
  );

  it(
    'fails a start when the binary is missing',
    async () => {
      const [port] = await freePorts(1);
      const node = new ProcessNode({ label: 'ghost', command: 'no-such-server-binary', args: [], port });
      const err = await failureOf(node.start());
      expect(err.message).toContain('no-such-server-binary is not installed');
    },
    T,
  );

  it(
    'does not mistake another process’s listener for its own server',
    async () => {
      const squatter = net.createServer();
      await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
      const port = (squatter.address() as net.AddressInfo).port;
      try {
        const err = await failureOf(nodeServer(port).start());
        expect(err.message).toMatch(/another process is listening|exited with code/);
      } finally {
        squatter.close();
      }
    },
    T,
  );

  it(
    'kills, restarts on the same port, pauses and resumes a process',
    async () => {
      const [port] = await freePorts(1);
      const node = nodeServer(port);
      try {
        await node.start();
        expect(node.running).toBe(true);
        expect(ownsListeningPort(node.pid ?? -1, port)).not.toBe(false);
        node.pause();
        expect(node.paused).toBe(true);
        node.resume();
        await node.kill('SIGKILL');
        expect(node.running).toBe(false);
        expect(await canConnect(port)).toBe(false);
        await node.restart();
        expect(await canConnect(port)).toBe(true);
        await node.kill('SIGTERM');
        expect(node.running).toBe(false);
      } finally {
        await node.stop();
      }
      await expectAsync(node.restart()).toBeRejectedWithError(/was stopped/);
    },
    T,
  );

  describe('external URLs from the environment', () => {
    const saved = new Map<string, string | undefined>();
    const env: Record<string, string> = {
      REDIS_URL: 'redis://redis.example:6379',
      REDIS_CLUSTER_URL: 'redis+cluster://a.example:7000,b.example:7001',
      MEMCACHED_URL: 'memcached://mc.example:11211',
      MEMCACHED_POOL_URL: 'memcached://mc1.example:11211,mc2.example:11211',
      DYNAMODB_ENDPOINT: 'http://dynamo.example:8000',
      DYNALITE_ENDPOINT: 'dynamodb://eu-west-1/t1?endpoint=http://dl.example:4567',
    };
    beforeEach(() => {
      for (const [key, value] of Object.entries(env)) {
        saved.set(key, process.env[key]);
        process.env[key] = value;
      }
    });
    afterEach(() => {
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it('returns external handles without starting anything', async () => {
      const expected: Record<string, string> = {
        redis: env.REDIS_URL,
        'redis-cluster': env.REDIS_CLUSTER_URL,
        memcached: env.MEMCACHED_URL,
        'memcached-pool': env.MEMCACHED_POOL_URL,
        'dynamodb-local': 'dynamodb://us-east-1/connector_kit_test?endpoint=http://dynamo.example:8000',
        dynalite: env.DYNALITE_ENDPOINT,
      };
      for (const [name, url] of Object.entries(expected)) {
        const handle = await startService(name);
        expect(handle.external).withContext(name).toBe(true);
        expect(handle.url).withContext(name).toBe(url);
        expect(handle.nodes.length).withContext(name).toBe(0);
        await handle.stop();
      }
      const dynamo = await startService('dynamodb-local');
      expect(dynamo.info.endpoint).toBe('http://dynamo.example:8000');
    });
  });
});
