/**
 * Launcher `redis-cluster`: a Redis Cluster of several redis-server processes on loopback, joined
 * by `redis-cli --cluster create`. Each node keeps its nodes.conf in its own directory, so a
 * killed node restarted on the same port rejoins the cluster with the slots it had.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probe, run } from './exec';
import { freePorts, LOOPBACK } from './ports';
import { ProcessNode } from './process-node';
import { redisBaseArgs, redisServerAvailable } from './redis';
import { registerService } from './registry';
import { ServiceResources } from './resources';
import type { ServiceHandle, ServiceLauncher, StartOptions } from './types';
import { waitUntil } from './wait';

export interface RedisClusterStartOptions extends StartOptions {
  /** Number of masters (at least 3, which `redis-cli --cluster create` requires); default 3. */
  masters?: number;
  /** Replicas per master; default 0. */
  replicas?: number;
  /**
   * `cluster-node-timeout` (default 2000 ms). Small, so that a killed node is noticed, and
   * forgiven after its restart, within seconds rather than the default 15 s.
   */
  nodeTimeoutMs?: number;
  /** Deadline for the whole cluster to form (default 60 s). */
  startTimeoutMs?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

function intOption(options: StartOptions, name: string, fallback: number, min: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`redis-cluster launcher: option "${name}" must be an integer >= ${min}`);
  }
  return value;
}

/** `CLUSTER INFO` of one node as a field → value map (via redis-cli, which we require anyway). */
export async function clusterInfo(port: number, host = LOOPBACK): Promise<Record<string, string>> {
  const { stdout } = await run('redis-cli', ['-h', host, '-p', String(port), 'cluster', 'info'], {
    timeoutMs: 3000,
  });
  const fields: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** Throws unless every given node reports a healthy cluster that knows all `total` nodes. */
async function assertClusterOk(nodes: readonly ProcessNode[], total: number): Promise<void> {
  for (const node of nodes) {
    const info = await clusterInfo(node.port, node.host);
    const healthy =
      info.cluster_state === 'ok' &&
      info.cluster_slots_assigned === '16384' &&
      info.cluster_slots_fail === '0' &&
      info.cluster_known_nodes === String(total);
    if (!healthy) {
      throw new Error(
        `node ${node.port}: cluster_state=${info.cluster_state}, slots_assigned=${info.cluster_slots_assigned}, ` +
          `slots_fail=${info.cluster_slots_fail}, known_nodes=${info.cluster_known_nodes}/${total}`,
      );
    }
  }
}

/** Masters and replicas as `CLUSTER NODES` reports them (roles can change after a failover). */
export async function clusterRoles(
  port: number,
  host = LOOPBACK,
): Promise<{ masters: HostPort[]; replicas: HostPort[] }> {
  const { stdout } = await run('redis-cli', ['-h', host, '-p', String(port), 'cluster', 'nodes'], {
    timeoutMs: 3000,
  });
  const masters: HostPort[] = [];
  const replicas: HostPort[] = [];
  for (const line of stdout.split(/\r?\n/).filter(Boolean)) {
    // <id> <ip:port@cport> <flags> ...
    const [, address, flags] = line.split(' ');
    const match = /^(.*):(\d+)@/.exec(address ?? '');
    if (!match) continue;
    const entry = { host: match[1] || host, port: Number(match[2]) };
    if (flags?.split(',').includes('master')) masters.push(entry);
    else replicas.push(entry);
  }
  const byPort = (a: HostPort, b: HostPort): number => a.port - b.port;
  return { masters: masters.sort(byPort), replicas: replicas.sort(byPort) };
}

async function start(options: StartOptions): Promise<ServiceHandle> {
  const masters = intOption(options, 'masters', 3, 3);
  const replicas = intOption(options, 'replicas', 0, 0);
  const nodeTimeoutMs = intOption(options, 'nodeTimeoutMs', 2000, 100);
  const startTimeoutMs = intOption(options, 'startTimeoutMs', 60_000, 1000);
  const total = masters * (1 + replicas);
  const res = new ServiceResources('redis-cluster');

  return res.orRelease(async () => {
    const root = res.tempDir();
    // Redis 7 takes the bus port separately (`cluster-port`); the default port+10000 may be taken
    // or beyond 65535 for high ephemeral ports.
    const ports = await freePorts(total * 2);
    const nodes = ports.slice(0, total).map((port, i) => {
      const dir = path.join(root, `node-${port}`);
      fs.mkdirSync(dir);
      const args = [
        ...redisBaseArgs(port, dir),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, 'nodes.conf'),
        '--cluster-port',
        String(ports[total + i]),
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
      ];
      return res.add(
        new ProcessNode({
          label: 'redis-server (cluster)',
          command: 'redis-server',
          args,
          port,
          cwd: dir,
          // A restart waits for the cluster to heal: failure undo takes 2 node timeouts, and a
          // rebooted master waits ~2 s before accepting writes again.
          startTimeoutMs: Math.max(30_000, nodeTimeoutMs * 6),
        }),
      );
    });
    await Promise.all(nodes.map((n) => n.start()));

    const addresses = nodes.map((n) => `${n.host}:${n.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'],
      {
        timeoutMs: startTimeoutMs,
      },
    );
    await waitUntil(() => assertClusterOk(nodes, total).then(() => true), {
      timeoutMs: startTimeoutMs,
      intervalMs: 200,
      what: `a ${total}-node redis cluster to report cluster_state:ok on every node`,
    });

    // From now on a restarted node only counts as ready once the cluster is whole again. With
    // another node still down (or paused) that cannot happen, so then only its port is awaited.
    const clusterReady = async (): Promise<void> => {
      if (nodes.some((n) => !n.running || n.paused)) return;
      await assertClusterOk(nodes, total);
    };
    for (const node of nodes) node.setReadyCheck(clusterReady);

    const seeds: HostPort[] = nodes.map((n) => ({ host: n.host, port: n.port }));
    const roles = await clusterRoles(nodes[0].port);
    const url = `redis+cluster://${addresses.join(',')}`;
    return res.handle(url, {
      seeds,
      masters: roles.masters,
      replicas: roles.replicas,
      nodeTimeoutMs,
      dir: root,
    });
  });
}

export const redisClusterLauncher: ServiceLauncher = {
  envVar: 'REDIS_CLUSTER_URL',
  async available() {
    const server = await redisServerAvailable();
    return server === true ? probe('redis-cli', ['--version']) : server;
  },
  start,
};

registerService('redis-cluster', redisClusterLauncher);
