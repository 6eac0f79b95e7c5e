/**
 * Launchers `dynamodb-local` (AWS's DynamoDB Local jar, run with Java) and `dynalite` (a Node
 * implementation of the DynamoDB API, run as a child process). Both serve plain HTTP on loopback
 * and count as ready only after a real `ListTables` succeeds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { probe } from './exec';
import { freePort, LOOPBACK } from './ports';
import { ProcessNode, type ProcessNodeOptions } from './process-node';
import { registerService } from './registry';
import { ServiceResources } from './resources';
import type { ServiceHandle, ServiceLauncher, StartOptions } from './types';

export interface DynamoStartOptions extends StartOptions {
  /** Keep data on disk in the service's temp dir, so it survives kill + restart (outage tests). */
  persistent?: boolean;
  /** Table name put in the URL (default `connector_kit_test`); the launcher does not create it. */
  table?: string;
  startTimeoutMs?: number;
  /**
   * `dynamodb-local` only: run the JVM at the lowest CPU priority (nice 19). For benchmarks, where
   * the emulator stands in for a remote service and should not take the measured process's cores
   * whenever it has work (default false).
   */
  lowPriority?: boolean;
}

export const DYNAMO_REGION = 'us-east-1';
export const DYNAMO_TABLE = 'connector_kit_test';
/** Local endpoints accept any credentials; these keep the SDK from looking for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A DynamoDB client for a local endpoint (dummy credentials, no retries). Destroy it after use. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: DYNAMO_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
}

/** Readiness: a real ListTables round trip (an open port alone does not mean Jetty is serving). */
async function listTables(node: ProcessNode): Promise<void> {
  const client = localDynamoClient(`http://${node.host}:${node.port}`);
  try {
    await client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(5000) });
  } finally {
    client.destroy();
  }
}

interface CommonOptions {
  persistent: boolean;
  table: string;
  startTimeoutMs: number;
}

function readOptions(launcher: string, options: StartOptions, defaultTimeoutMs: number): CommonOptions {
  const { persistent = false, table = DYNAMO_TABLE, startTimeoutMs = defaultTimeoutMs } = options;
  if (typeof persistent !== 'boolean')
    throw new TypeError(`${launcher} launcher: option "persistent" must be a boolean`);
  if (typeof table !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new TypeError(`${launcher} launcher: option "table" must be a valid DynamoDB table name`);
  }
  if (typeof startTimeoutMs !== 'number')
    throw new TypeError(`${launcher} launcher: option "startTimeoutMs" must be a number`);
  return { persistent, table, startTimeoutMs };
}

async function startDynamo(
  launcher: string,
  opts: CommonOptions,
  command: (
    port: number,
    dir: string,
  ) => Pick<ProcessNodeOptions, 'command' | 'args' | 'readyPattern' | 'stdinPipe' | 'niceness'>,
): Promise<ServiceHandle> {
  const res = new ServiceResources(launcher);
  return res.orRelease(async () => {
    const dir = res.tempDir();
    const port = await freePort();
    const spec = command(port, dir);
    const node = res.add(
      new ProcessNode({
        label: launcher,
        port,
        cwd: dir,
        startTimeoutMs: opts.startTimeoutMs,
        readyCheck: listTables,
        ...spec,
      }),
    );
    await node.start();
    const endpoint = `http://${LOOPBACK}:${port}`;
    const url = `dynamodb://${DYNAMO_REGION}/${opts.table}?endpoint=${endpoint}`;
    return res.handle(url, {
      endpoint,
      region: DYNAMO_REGION,
      table: opts.table,
      port,
      persistent: opts.persistent,
      ...(opts.persistent ? { dbPath: dir } : {}),
    });
  });
}

/**
 * External mode: `DYNAMODB_ENDPOINT` / `DYNALITE_ENDPOINT` hold an HTTP endpoint (as the AWS tools
 * name it), which becomes the kit's URL; a full `dynamodb://…` URL is passed through unchanged.
 */
export function dynamoUrlFromEnv(value: string): { url: string; info: Record<string, unknown> } {
  if (value.startsWith('dynamodb://')) {
    const endpoint = new URL(value).searchParams.get('endpoint') ?? undefined;
    return { url: value, info: endpoint ? { endpoint } : {} };
  }
  const endpoint = value.replace(/\/+$/, '');
  return {
    url: `dynamodb://${DYNAMO_REGION}/${DYNAMO_TABLE}?endpoint=${endpoint}`,
    info: { endpoint, region: DYNAMO_REGION, table: DYNAMO_TABLE },
  };
}

/** Where amplify-dynamodb-simulator keeps DynamoDBLocal.jar and its native libraries. */
export function dynamoLocalEmulatorDir(): string {
  return path.join(path.dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

export const dynamoLocalLauncher: ServiceLauncher = {
  envVar: 'DYNAMODB_ENDPOINT',
  fromEnv: dynamoUrlFromEnv,
  async available() {
    let jar: string;
    try {
      jar = path.join(dynamoLocalEmulatorDir(), 'DynamoDBLocal.jar');
    } catch {
      return 'the npm package amplify-dynamodb-simulator (which ships DynamoDBLocal.jar) is not installed';
    }
    if (!fs.existsSync(jar)) return `${jar} is missing`;
    return probe('java', ['-version']);
  },
  start(options) {
    // Java and Jetty take several seconds to start on a small machine.
    const opts = readOptions('dynamodb-local', options, 60_000);
    const { lowPriority = false } = options;
    if (typeof lowPriority !== 'boolean')
      throw new TypeError('dynamodb-local launcher: option "lowPriority" must be a boolean');
    return startDynamo('dynamodb-local', opts, (port, dir) => {
      const emulator = dynamoLocalEmulatorDir();
      // -sharedDb: one database whatever the credentials/region, so every client sees the same tables.
      const storage = opts.persistent ? ['-sharedDb', '-dbPath', dir] : ['-sharedDb', '-inMemory'];
      return {
        command: 'java',
        ...(lowPriority ? { niceness: 19 } : {}),
        args: [
          `-Djava.library.path=${path.join(emulator, 'DynamoDBLocal_lib')}`,
          '-jar',
          path.join(emulator, 'DynamoDBLocal.jar'),
          '-port',
          String(port),
          '-disableTelemetry',
          ...storage,
        ],
      };
    });
  },
};

export const dynaliteLauncher: ServiceLauncher = {
  envVar: 'DYNALITE_ENDPOINT',
  fromEnv: dynamoUrlFromEnv,
  async available() {
    try {
      require.resolve('dynalite');
      return true;
    } catch {
      return 'the npm package dynalite is not installed';
    }
  },
  start(options) {
    const opts = readOptions('dynalite', options, 20_000);
    return startDynamo('dynalite', opts, (port, dir) => ({
      command: process.execPath,
      args: [
        path.join(__dirname, 'dynalite-main.js'),
        '--port',
        String(port),
        '--host',
        LOOPBACK,
        ...(opts.persistent ? ['--path', path.join(dir, 'db')] : []),
      ],
      readyPattern: /listening/,
      stdinPipe: true,
    }));
  },
};

registerService('dynamodb-local', dynamoLocalLauncher);
registerService('dynalite', dynaliteLauncher);
