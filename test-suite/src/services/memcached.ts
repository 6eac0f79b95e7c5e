/**
 * Launchers `memcached` (one server) and `memcached-pool` (several independent servers, as a
 * client-side-sharded pool): memcached on free loopback ports, TCP only.
 */
import { probe } from './exec';
import { freePorts, LOOPBACK } from './ports';
import { ProcessNode } from './process-node';
import { registerService } from './registry';
import { ServiceResources } from './resources';
import type { ServiceHandle, ServiceLauncher, StartOptions } from './types';

export interface MemcachedStartOptions extends StartOptions {
  /** Largest item the server accepts (`-I`), in bytes; default 1048576 (memcached's own default). */
  maxItemBytes?: number;
  /** Pool size for `memcached-pool` (default 3). */
  size?: number;
  startTimeoutMs?: number;
}

const DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;
const MEMORY_MB = 64;

function intOption(
  launcher: string,
  options: StartOptions,
  name: string,
  fallback: number,
  min: number,
): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`${launcher} launcher: option "${name}" must be an integer >= ${min}`);
  }
  return value;
}

/**
 * memcached's `slab_chunk_max` must be a power of two of at most 512 KiB that divides -I, or it
 * refuses to start; pick the largest such value (this is why -I must be a multiple of 1 KiB).
 */
function slabChunkMax(maxItemBytes: number): number {
  let chunk = 512 * 1024;
  while (maxItemBytes % chunk !== 0) chunk /= 2;
  return chunk;
}

/** memcached's command line for one server; exported so other launchers/specs can reuse it. */
export function memcachedArgs(port: number, maxItemBytes: number): string[] {
  if (maxItemBytes % 1024 !== 0 || maxItemBytes > 512 * 1024 * 1024) {
    throw new TypeError(
      'memcached launcher: option "maxItemBytes" must be a multiple of 1024, at most 512 MiB',
    );
  }
  // memcached refuses items larger than half its memory, so grow -m with -I.
  const memoryMb = Math.max(MEMORY_MB, Math.ceil((2 * maxItemBytes) / (1024 * 1024)));
  const args = [
    '-l',
    LOOPBACK,
    '-p',
    String(port),
    '-U',
    '0',
    '-m',
    String(memoryMb),
    '-I',
    String(maxItemBytes),
  ];
  args.push('-o', `slab_chunk_max=${slabChunkMax(maxItemBytes)}`);
  // As root memcached refuses to start unless told which user to run as; stay root (tests only).
  if (process.getuid?.() === 0) args.push('-u', 'root');
  return args;
}

async function startServers(launcher: string, options: StartOptions, count: number): Promise<ServiceHandle> {
  // memcached accepts 1 KiB to 1 GiB for -I.
  const maxItemBytes = intOption(launcher, options, 'maxItemBytes', DEFAULT_MAX_ITEM_BYTES, 1024);
  const startTimeoutMs = intOption(launcher, options, 'startTimeoutMs', 15_000, 1000);
  const res = new ServiceResources(launcher);
  return res.orRelease(async () => {
    const dir = res.tempDir();
    const ports = await freePorts(count);
    const nodes = ports.map((port) =>
      res.add(
        new ProcessNode({
          label: 'memcached',
          command: 'memcached',
          args: memcachedArgs(port, maxItemBytes),
          port,
          cwd: dir,
          startTimeoutMs,
        }),
      ),
    );
    await Promise.all(nodes.map((n) => n.start()));
    const servers = nodes.map((n) => ({ host: n.host, port: n.port }));
    const url = `memcached://${servers.map((s) => `${s.host}:${s.port}`).join(',')}`;
    const info: Record<string, unknown> = { servers, maxItemBytes };
    if (count === 1) Object.assign(info, servers[0]);
    return res.handle(url, info);
  });
}

const available = (): Promise<true | string> => probe('memcached', ['-V']);

export const memcachedLauncher: ServiceLauncher = {
  envVar: 'MEMCACHED_URL',
  available,
  start: (options) => startServers('memcached', options, 1),
};

export const memcachedPoolLauncher: ServiceLauncher = {
  envVar: 'MEMCACHED_POOL_URL',
  available,
  start: (options) =>
    startServers('memcached-pool', options, intOption('memcached-pool', options, 'size', 3, 1)),
};

registerService('memcached', memcachedLauncher);
registerService('memcached-pool', memcachedPoolLauncher);
