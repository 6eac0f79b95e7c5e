/**
 * Launcher `redis`: one redis-server on a free loopback port, without persistence, optionally
 * with a password (`requirepass`) or with TLS only (certificates generated for the occasion).
 */
import { probe } from './exec';
import { freePort, LOOPBACK } from './ports';
import { ProcessNode } from './process-node';
import { registerService } from './registry';
import { ServiceResources } from './resources';
import { generateTestCertificates } from './tls-certs';
import type { ServiceHandle, ServiceLauncher, StartOptions } from './types';

export interface RedisStartOptions extends StartOptions {
  /** Sets `requirepass`; the URL then carries it as `redis://:password@…`. */
  password?: string;
  /** Serve TLS only (`rediss://`); `info.caPath` is the CA to trust. */
  tls?: boolean;
  startTimeoutMs?: number;
}

/** The arguments every redis-server we start shares: loopback only, nothing written to disk. */
export function redisBaseArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', LOOPBACK, '--save', '', '--appendonly', 'no', '--dir', dir];
}

export function redisServerAvailable(): Promise<true | string> {
  return probe('redis-server', ['--version']);
}

function readOptions(options: StartOptions): { password?: string; tls: boolean; startTimeoutMs: number } {
  const { password, tls, startTimeoutMs } = options;
  if (password !== undefined && (typeof password !== 'string' || password === '')) {
    throw new TypeError('redis launcher: option "password" must be a non-empty string');
  }
  if (tls !== undefined && typeof tls !== 'boolean') {
    throw new TypeError('redis launcher: option "tls" must be a boolean');
  }
  if (startTimeoutMs !== undefined && typeof startTimeoutMs !== 'number') {
    throw new TypeError('redis launcher: option "startTimeoutMs" must be a number');
  }
  return { password, tls: tls ?? false, startTimeoutMs: startTimeoutMs ?? 15_000 };
}

async function start(options: StartOptions): Promise<ServiceHandle> {
  const opts = readOptions(options);
  const res = new ServiceResources('redis');
  return res.orRelease(async () => {
    const dir = res.tempDir();
    const port = await freePort();
    const args = redisBaseArgs(port, dir);
    const info: Record<string, unknown> = { host: LOOPBACK, port, dir, tls: opts.tls };
    if (opts.password !== undefined) {
      args.push('--requirepass', opts.password);
      info.password = opts.password;
    }
    if (opts.tls) {
      const certs = await generateTestCertificates(dir);
      // `--port 0` turns the plain-text listener off, so only TLS is served on `port`.
      args.splice(0, 2, '--tls-port', String(port), '--port', '0');
      args.push(
        '--tls-cert-file',
        certs.certPath,
        '--tls-key-file',
        certs.keyPath,
        '--tls-ca-cert-file',
        certs.caPath,
        '--tls-auth-clients',
        'no',
      );
      Object.assign(info, certs);
    }
    const node = res.add(
      new ProcessNode({
        label: 'redis-server',
        command: 'redis-server',
        args,
        port,
        cwd: dir,
        startTimeoutMs: opts.startTimeoutMs,
      }),
    );
    await node.start();
    const auth = opts.password !== undefined ? `:${encodeURIComponent(opts.password)}@` : '';
    const url = `${opts.tls ? 'rediss' : 'redis'}://${auth}${LOOPBACK}:${port}`;
    return res.handle(url, info);
  });
}

export const redisLauncher: ServiceLauncher = {
  envVar: 'REDIS_URL',
  async available() {
    return redisServerAvailable();
  },
  start,
};

registerService('redis', redisLauncher);
