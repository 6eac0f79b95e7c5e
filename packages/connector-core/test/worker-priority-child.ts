/*
 * Run as a fresh process by worker-connector.spec.ts (so libuv's thread pool has not started):
 * starts a low-priority WorkerConnector whose thread uses the pool at once, gives the pool a job
 * from the main thread too, and prints every thread's nice value before and after, as JSON.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { WorkerConnector } from '@connector-kit/connector-core';
import { threadNices } from './thread-nices';

async function main(): Promise<void> {
  const before = threadNices();
  const c = await WorkerConnector.start({
    url: 'memory://',
    lowPriority: true,
    preload: [path.join(__dirname, 'worker-pool-user.js')],
  });
  await c.whenReady();
  await c.set('k', 1);
  await fs.stat(__filename);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the worker's pool job has run
  const after = threadNices();
  await c.close();
  process.stdout.write(JSON.stringify({ pid: process.pid, before: [...before], after: [...after] }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
