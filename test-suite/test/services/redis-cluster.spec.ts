import '../../dist/services';
import { canConnect } from '../../dist/services/ports';
import { clusterInfo, type HostPort } from '../../dist/services/redis-cluster';
import { startService } from '../../dist/services/registry';
import type { ServiceHandle } from '../../dist/services/types';
import { type ClusterClient, exists, failureOf, loadIoredis, redisClient } from './clients';

// Forming a cluster takes ~2 s and healing after a restart a few more; be generous on 2 cores.
const T = 60_000;

/** One key per master, found by asking the cluster which slot each candidate key hashes to. */
async function keysPerMaster(port: number, masters: readonly HostPort[]): Promise<Map<number, string>> {
  const client = redisClient(port);
  await client.connect();
  try {
    const slots = await client.cluster('SLOTS');
    const owner = (slot: number): number | undefined =>
      slots.find(([start, end]) => slot >= start && slot <= end)?.[2]?.[1];
    const keys = new Map<number, string>();
    for (let i = 0; keys.size < masters.length && i < 1000; i++) {
      const key = `key-${i}`;
      const port = owner(Number(await client.cluster('KEYSLOT', key)));
      if (port !== undefined && !keys.has(port)) keys.set(port, key);
    }
    return keys;
  } finally {
    client.disconnect();
  }
}

function clusterClient(seeds: readonly HostPort[]): ClusterClient {
  const { Cluster } = loadIoredis();
  const client = new Cluster([...seeds], {
    clusterRetryStrategy: () => null,
    redisOptions: { connectTimeout: 2000 },
  });
  client.on('error', () => undefined);
  return client;
}

async function writeAndReadAll(
  seeds: readonly HostPort[],
  keys: Map<number, string>,
  value: string,
): Promise<void> {
  const client = clusterClient(seeds);
  try {
    for (const key of keys.values()) await client.set(key, value);
    for (const key of keys.values()) expect(await client.get(key)).toBe(value);
  } finally {
    client.disconnect();
  }
}

describe('redis-cluster launcher', () => {
  let handle: ServiceHandle;
  let seeds: HostPort[];
  let masters: HostPort[];
  let keys: Map<number, string>;

  beforeAll(async () => {
    handle = await startService('redis-cluster', { local: true });
    seeds = handle.info.seeds as HostPort[];
    masters = handle.info.masters as HostPort[];
    keys = await keysPerMaster(seeds[0].port, masters);
  }, T);
  // Specs run in random order and share one cluster, so stopping is checked after all of them.
  afterAll(async () => {
    const dir = String(handle.info.dir);
    expect(exists(dir)).toBe(true);
    await handle.stop();
    expect(exists(dir)).withContext('cluster dir removed on stop').toBe(false);
    for (const node of handle.nodes)
      expect(node.running).withContext(`node ${node.port} stopped`).toBe(false);
  }, T);

  it(
    'forms a 3-master cluster and advertises every node in the URL',
    async () => {
      expect(handle.external).toBe(false);
      expect(handle.nodes.length).toBe(3);
      expect(masters.length).toBe(3);
      expect(handle.url).toBe(`redis+cluster://${seeds.map((s) => `${s.host}:${s.port}`).join(',')}`);
      for (const node of handle.nodes) expect((await clusterInfo(node.port)).cluster_state).toBe('ok');
    },
    T,
  );

  it(
    'stores keys on every master through a cluster client',
    async () => {
      expect([...keys.keys()].sort()).toEqual(masters.map((m) => m.port).sort());
      await writeAndReadAll(seeds, keys, 'v1');
    },
    T,
  );

  it(
    'loses a killed master and takes it back into the cluster on restart',
    async () => {
      const victim = handle.nodes.find((n) => n.port === masters[0].port);
      if (!victim) throw new Error('master node not found');
      await victim.kill('SIGKILL');
      expect(victim.running).toBe(false);
      expect(await canConnect(victim.port)).toBe(false);
      const direct = redisClient(victim.port);
      await failureOf(direct.connect());
      direct.disconnect();

      await victim.restart();
      expect(victim.running).toBe(true);
      expect((await clusterInfo(victim.port)).cluster_state).toBe('ok');
      // The restarted master has no data (no persistence) but serves its slots again.
      await writeAndReadAll(seeds, keys, 'v2');
    },
    T,
  );
});
