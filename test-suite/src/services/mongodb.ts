/**
 * Launcher `mongodb`. With `MONGODB_URL` set, that server is used (a real mongod). Otherwise it
 * runs the test-suite's MongoDB wire-protocol EMULATOR (emulators/mongodb, not a MongoDB server) as
 * a child process on a free loopback port, journalling to a data file in a temporary directory so
 * that kill + restart keeps the data (fault tests).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, LOOPBACK } from './ports';
import { ProcessNode } from './process-node';
import { registerService } from './registry';
import { ServiceResources } from './resources';
import type { ServiceHandle, ServiceLauncher, StartOptions } from './types';

export interface MongoStartOptions extends StartOptions {
  /** Database named in the URL (default `connector_kit_test`); the emulator creates it on first write. */
  database?: string;
  /** How often the emulator's TTL monitor deletes expired documents (default 60 000 ms, like mongod). */
  ttlMonitorIntervalMs?: number;
  startTimeoutMs?: number;
}

export const MONGODB_DATABASE = 'connector_kit_test';

/** The emulator's process entry point (compiled next to this file's directory). */
export const MONGODB_EMULATOR_MAIN = path.join(__dirname, '..', 'emulators', 'mongodb', 'main.js');

function readOptions(options: StartOptions): {
  database: string;
  ttlMonitorIntervalMs?: number;
  startTimeoutMs: number;
} {
  const { database = MONGODB_DATABASE, ttlMonitorIntervalMs, startTimeoutMs = 15_000 } = options;
  if (typeof database !== 'string' || !/^[^/\\. "$*<>:|?]{1,63}$/.test(database)) {
    throw new TypeError('mongodb launcher: option "database" must be a valid MongoDB database name');
  }
  if (
    ttlMonitorIntervalMs !== undefined &&
    (typeof ttlMonitorIntervalMs !== 'number' ||
      !Number.isInteger(ttlMonitorIntervalMs) ||
      ttlMonitorIntervalMs <= 0)
  ) {
    throw new TypeError('mongodb launcher: option "ttlMonitorIntervalMs" must be a positive integer');
  }
  if (typeof startTimeoutMs !== 'number') {
    throw new TypeError('mongodb launcher: option "startTimeoutMs" must be a number');
  }
  return { database, ttlMonitorIntervalMs, startTimeoutMs };
}

async function start(options: StartOptions): Promise<ServiceHandle> {
  const opts = readOptions(options);
  const res = new ServiceResources('mongodb');
  return res.orRelease(async () => {
    const dir = res.tempDir('mongodb-emulator');
    const dataFile = path.join(dir, 'data.bson');
    const port = await freePort();
    const args = [
      MONGODB_EMULATOR_MAIN,
      '--port',
      String(port),
      '--host',
      LOOPBACK,
      '--data-file',
      dataFile,
      '--exit-on-stdin-end',
    ];
    if (opts.ttlMonitorIntervalMs !== undefined)
      args.push('--ttl-interval-ms', String(opts.ttlMonitorIntervalMs));
    const node = res.add(
      new ProcessNode({
        label: 'mongodb-emulator',
        command: process.execPath,
        args,
        port,
        cwd: dir,
        startTimeoutMs: opts.startTimeoutMs,
        readyPattern: /^listening \d+$/m,
        stdinPipe: true,
      }),
    );
    await node.start();
    const url = `mongodb://${LOOPBACK}:${port}/${opts.database}?directConnection=true`;
    return res.handle(url, { host: LOOPBACK, port, database: opts.database, dataFile, emulator: true });
  });
}

export const mongodbLauncher: ServiceLauncher = {
  envVar: 'MONGODB_URL',
  async available() {
    if (!fs.existsSync(MONGODB_EMULATOR_MAIN)) {
      return `the MongoDB emulator is not built (${MONGODB_EMULATOR_MAIN} is missing; run \`npm run build\`)`;
    }
    return true;
  },
  start,
};

registerService('mongodb', mongodbLauncher);
