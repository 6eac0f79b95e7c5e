/**
 * Launcher `redis-sentinel`: a Sentinel-managed Redis on loopback — one redis-server master,
 * optionally one replica, and several Sentinels (redis-server in `--sentinel` mode) that monitor
 * the master with quorum 1 and short timeouts, so that a killed master is failed over to the
 * replica within seconds. Nodes are listed master first, then the replica, then the Sentinels.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probe, run } from './exec';
import { freePorts, LOOPBACK } from './ports';
import { ProcessNode } from './process-node';
import { redisBaseArgs, redisServerAvailable } from './redis';
import type { HostPort } from './redis-cluster';
import { registerService } from './registry';
import { ServiceResources } from './resources';
import type { ServiceHandle, ServiceLauncher, StartOptions } from './types';
import { waitUntil } from './wait';

export interface RedisSentinelStartOptions extends StartOptions {
  /** Number of Sentinels (default 2). */
  sentinels?: number;
  /** Start one replica of the master (default false); needed for a failover. */
  replica?: boolean;
  /** Name the Sentinels monitor the master under (default `mymaster`). */
  masterName?: string;
  /**
   * `down-after-milliseconds` of the first Sentinel (default 1000): how long the master may be
   * silent before it is down. Each further Sentinel waits 1 s longer (see sentinelConfig).
   */
  downAfterMs?: number;
  /** `failover-timeout` (default 3000). */
  failoverTimeoutMs?: number;
  /** Deadline for the whole setup to be ready (default 30 s). */
  startTimeoutMs?: number;
}

const DEFAULT_MASTER_NAME = 'mymaster';
/** Added to `down-after-milliseconds` per Sentinel (see sentinelConfig). */
const STAGGER_MS = 1000;

function intOption(options: StartOptions, name: string, fallback: number, min: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`redis-sentinel launcher: option "${name}" must be an integer >= ${min}`);
  }
  return value;
}

function readOptions(options: StartOptions): Required<RedisSentinelStartOptions> {
  const { replica, masterName } = options;
  if (replica !== undefined && typeof replica !== 'boolean') {
    throw new TypeError('redis-sentinel launcher: option "replica" must be a boolean');
  }
  if (masterName !== undefined && (typeof masterName !== 'string' || !/^[\w.-]+$/.test(masterName))) {
    throw new TypeError(
      'redis-sentinel launcher: option "masterName" must be a non-empty string of letters, digits, ".", "_" or "-"',
    );
  }
  return {
    sentinels: intOption(options, 'sentinels', 2, 1),
    replica: replica ?? false,
    masterName: masterName ?? DEFAULT_MASTER_NAME,
    downAfterMs: intOption(options, 'downAfterMs', 1000, 100),
    failoverTimeoutMs: intOption(options, 'failoverTimeoutMs', 3000, 100),
    startTimeoutMs: intOption(options, 'startTimeoutMs', 30_000, 1000),
  };
}

/** Runs one command with redis-cli and returns the reply's lines (redis-cli prints arrays flat). */
async function redisCli(port: number, host: string, args: readonly string[]): Promise<string[]> {
  const { stdout } = await run('redis-cli', ['-h', host, '-p', String(port), ...args], { timeoutMs: 3000 });
  return stdout.split(/\r?\n/).filter((line) => line !== '');
}

/**
 * The master's address as one Sentinel reports it (`SENTINEL get-master-addr-by-name`), or null
 * while that Sentinel does not know the name.
 */
export async function sentinelMasterAddress(
  sentinelPort: number,
  masterName = DEFAULT_MASTER_NAME,
  host = LOOPBACK,
): Promise<HostPort | null> {
  const lines = await redisCli(sentinelPort, host, ['sentinel', 'get-master-addr-by-name', masterName]);
  if (lines.length !== 2 || !/^\d+$/.test(lines[1])) return null;
  return { host: lines[0], port: Number(lines[1]) };
}

/** `SENTINEL MASTER <name>` of one Sentinel as a field → value map (flags, num-slaves, …). */
export async function sentinelMasterState(
  sentinelPort: number,
  masterName = DEFAULT_MASTER_NAME,
  host = LOOPBACK,
): Promise<Record<string, string>> {
  const lines = await redisCli(sentinelPort, host, ['sentinel', 'master', masterName]);
  if (lines.length % 2 !== 0) throw new Error(`sentinel ${sentinelPort}: ${lines.join(' ')}`);
  const fields: Record<string, string> = {};
  for (let i = 0; i < lines.length; i += 2) fields[lines[i]] = lines[i + 1];
  return fields;
}

/** `INFO replication` of one data node as a field → value map (role, master_link_status, …). */
export async function replicationInfo(port: number, host = LOOPBACK): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const line of await redisCli(port, host, ['info', 'replication'])) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** The Sentinel's configuration; Sentinel rewrites this file (its id, what it learnt). */
function sentinelConfig(
  index: number,
  port: number,
  dir: string,
  master: HostPort,
  opts: Required<RedisSentinelStartOptions>,
): string {
  const name = opts.masterName;
  // Staggered: Sentinels that notice a dead master at the same moment each vote for themselves,
  // and a split vote delays the failover by 2 × failover-timeout. The first to notice asks the
  // others for their vote; one that has voted does not start a failover of its own for a while.
  const downAfterMs = opts.downAfterMs + index * STAGGER_MS;
  return [
    `port ${port}`,
    `bind ${LOOPBACK}`,
    `dir ${dir}`,
    'daemonize no',
    'sentinel resolve-hostnames no',
    `sentinel monitor ${name} ${master.host} ${master.port} 1`,
    `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
    `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${name} 1`,
    '',
  ].join('\n');
}

/** The sentinels' part of a `redis+sentinel://` URL and its master name (for external URLs). */
function parseSentinelUrl(url: string): { masterName: string; sentinels: HostPort[] } | null {
  const match = /^redis\+sentinel:\/\/(?:[^@/]*@)?([^/?#]+)\/([^/?#]+)/.exec(url);
  if (!match) return null;
  const sentinels = match[1].split(',').map((address) => {
    const colon = address.lastIndexOf(':');
    return colon > 0
      ? { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) }
      : { host: address, port: 26379 };
  });
  let masterName = match[2];
  try {
    masterName = decodeURIComponent(masterName);
  } catch {
    // Malformed escapes: keep the name as written; the connector reports the URL itself.
  }
  return { masterName, sentinels };
}

async function start(options: StartOptions): Promise<ServiceHandle> {
  const opts = readOptions(options);
  const res = new ServiceResources('redis-sentinel');

  return res.orRelease(async () => {
    const deadline = Date.now() + opts.startTimeoutMs;
    const remaining = (): number => Math.max(1000, deadline - Date.now());
    const root = res.tempDir();
    const dataNodes = opts.replica ? 2 : 1;
    const ports = await freePorts(dataNodes + opts.sentinels);
    const nodeDir = (role: string, port: number): string => {
      const dir = path.join(root, `${role}-${port}`);
      fs.mkdirSync(dir);
      return dir;
    };

    // A replica's first sync would otherwise wait 5 s for more replicas (the Redis 7 default);
    // either data node may be the master that serves it (after a failover, the other one).
    const dataArgs = (port: number, dir: string): string[] => [
      ...redisBaseArgs(port, dir),
      '--repl-diskless-sync-delay',
      '0',
    ];
    const masterPort = ports[0];
    const masterDir = nodeDir('master', masterPort);
    const masterNode = res.add(
      new ProcessNode({
        label: 'redis-server (sentinel master)',
        command: 'redis-server',
        args: dataArgs(masterPort, masterDir),
        port: masterPort,
        cwd: masterDir,
        startTimeoutMs: opts.startTimeoutMs,
      }),
    );
    await masterNode.start();
    const master: HostPort = { host: LOOPBACK, port: masterPort };

    let replica: HostPort | undefined;
    if (opts.replica) {
      const replicaPort = ports[1];
      const replicaDir = nodeDir('replica', replicaPort);
      const replicaNode = res.add(
        new ProcessNode({
          label: 'redis-server (sentinel replica)',
          command: 'redis-server',
          args: [...dataArgs(replicaPort, replicaDir), '--replicaof', LOOPBACK, String(masterPort)],
          port: replicaPort,
          cwd: replicaDir,
          startTimeoutMs: opts.startTimeoutMs,
        }),
      );
      await replicaNode.start();
      // Synced before the Sentinels start, so that their first look at the master finds it.
      await waitUntil(async () => (await replicationInfo(replicaPort)).master_link_status === 'up', {
        timeoutMs: remaining(),
        intervalMs: 100,
        what: `the replica on port ${replicaPort} to sync`,
      });
      replica = { host: LOOPBACK, port: replicaPort };
    }

    const sentinelNodes = ports.slice(dataNodes).map((port, index) => {
      const dir = nodeDir('sentinel', port);
      const configPath = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(configPath, sentinelConfig(index, port, dir, master, opts));
      return res.add(
        new ProcessNode({
          label: 'redis-sentinel',
          command: 'redis-server',
          args: [configPath, '--sentinel'],
          port,
          cwd: dir,
          startTimeoutMs: opts.startTimeoutMs,
          // Also after a restart: ready once it knows a master under the name (whichever it is now).
          readyCheck: async (node) => {
            if (!(await sentinelMasterAddress(node.port, opts.masterName))) {
              throw new Error(`sentinel ${node.port} does not know "${opts.masterName}" yet`);
            }
          },
        }),
      );
    });
    await Promise.all(sentinelNodes.map((node) => node.start()));

    // Every Sentinel reports the master, knows the replica and the other Sentinels (learnt from
    // their hello messages, ~2 s): only then does a failover get the votes it needs at once.
    const assertSentinelsReady = async (): Promise<void> => {
      for (const node of sentinelNodes) {
        const address = await sentinelMasterAddress(node.port, opts.masterName);
        if (address?.host !== master.host || address.port !== master.port) {
          throw new Error(`sentinel ${node.port} reports master ${JSON.stringify(address)}`);
        }
        const state = await sentinelMasterState(node.port, opts.masterName);
        const healthy =
          state.flags === 'master' &&
          state['num-slaves'] === String(dataNodes - 1) &&
          state['num-other-sentinels'] === String(opts.sentinels - 1);
        if (!healthy) {
          throw new Error(
            `sentinel ${node.port}: flags=${state.flags}, num-slaves=${state['num-slaves']}, ` +
              `num-other-sentinels=${state['num-other-sentinels']}`,
          );
        }
      }
    };
    await waitUntil(() => assertSentinelsReady().then(() => true), {
      timeoutMs: remaining(),
      intervalMs: 200,
      what: `${opts.sentinels} sentinel(s) to monitor "${opts.masterName}" on port ${masterPort}`,
    });

    const sentinels: HostPort[] = sentinelNodes.map((n) => ({ host: n.host, port: n.port }));
    const url = `redis+sentinel://${sentinels.map((s) => `${s.host}:${s.port}`).join(',')}/${opts.masterName}`;
    const info: Record<string, unknown> = { masterName: opts.masterName, master, sentinels, dir: root };
    if (replica) info.replica = replica;
    return res.handle(url, info);
  });
}

export const redisSentinelLauncher: ServiceLauncher = {
  envVar: 'REDIS_SENTINEL_URL',
  async available() {
    const server = await redisServerAvailable();
    return server === true ? probe('redis-cli', ['--version']) : server;
  },
  start,
  fromEnv(value) {
    const parsed = parseSentinelUrl(value);
    return parsed ? { url: value, info: { ...parsed } } : { url: value };
  },
};

registerService('redis-sentinel', redisSentinelLauncher);
