/*
 * The worker thread of a WorkerConnector: builds the connector from its URL (through the
 * registry, as createConnector does) and runs the requests of the main thread against it, in
 * the order they come (so the connector's own per-key order holds).
 */
import { parentPort, workerData } from 'node:worker_threads';
// The package entry, as users load it: it also registers the built-in drivers (memory://).
import { ConnectorError, createConnector, resolveCodec, type Connector } from '../index';
import { encodedValue } from '../connector/encoded-value';
import { writeOptions } from '../connector/records';
import {
  compact,
  packValues,
  serializeError,
  unpackValues,
  type Reply,
  type Request,
  type WorkerInit,
} from './protocol';
import { lowerThisThread } from './thread-priority';

const port = parentPort;
if (!port) throw new Error('worker-main runs only as a worker thread (see WorkerConnector)');

const init = workerData as WorkerInit;
const codec = resolveCodec(init.codec);

function post(reply: Reply): void {
  try {
    port!.postMessage(reply);
  } catch {
    // Details that cannot be cloned: send the error without them.
    if ('error' in reply) port!.postMessage({ ...reply, error: { ...reply.error, details: undefined } });
    else throw new Error('reply could not be sent');
  }
}

function start(): Connector | null {
  try {
    if (init.lowPriority) lowerThisThread();
    for (const module of init.preload) preload(module);
    return createConnector(init.url, { ...init.options, codec });
  } catch (err) {
    post({ type: 'failed', error: serializeError(err) });
    return null;
  }
}

function preload(module: string): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(module);
  } catch (err) {
    throw new ConnectorError(
      'CONFIG',
      `WorkerConnector could not load the preload module "${module}": ${err instanceof Error ? err.message : String(err)}`,
      { details: { field: 'preload' } },
    );
  }
}

async function handle(connector: Connector, request: Request): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return connector.whenReady();
    case 'close':
      return connector.close();
    case 'get': {
      const entry = await connector.getEntry(request.key);
      return entry === null ? null : { version: entry.version, data: compact(codec.encode(entry.value)) };
    }
    case 'head':
      return connector.head(request.key);
    case 'set':
      return connector.set(
        request.key,
        encodedValue(request.data, codec),
        writeOptions(request.version, request.ttl),
      );
    case 'delete':
      return connector.delete(request.key);
    case 'compareAndSet':
      try {
        await connector.compareAndSet(request.key, encodedValue(request.data, codec), {
          ...writeOptions(request.version, request.ttl),
          expectedVersion: request.expectedVersion,
        });
        return true;
      } catch (err) {
        if (ConnectorError.is(err, 'CONFLICT')) return false;
        throw err;
      }
    case 'getMany': {
      const entries = await connector.getEntryBulk(request.keys);
      return {
        versions: entries.map((e) => (e === null ? -1 : e.version)),
        values: packValues(entries.map((e) => (e === null ? null : codec.encode(e.value)))),
      };
    }
    case 'headMany':
      return connector.headBulk(request.keys);
    case 'setMany': {
      const values = unpackValues(request.values);
      return connector.setBulk(
        request.keys.map((key, i) => ({
          key,
          value: encodedValue(values[i]!, codec),
          version: request.versions[i]!,
        })),
        request.ttl > 0 ? { ttl: request.ttl } : {},
      );
    }
    case 'deleteMany':
      return connector.deleteBulk(request.keys);
  }
}

const connector = start();
if (connector) {
  connector.on('error', (err: unknown) => post({ type: 'error', error: serializeError(err) }));
  post({
    type: 'identity',
    identity: { name: connector.name, version: connector.version, supports: { ...connector.supports } },
  });
  port.on('message', (request: Request) => {
    handle(connector, request).then(
      (result) => post({ type: 'result', id: request.id, ok: true, result }),
      (err: unknown) => post({ type: 'result', id: request.id, ok: false, error: serializeError(err) }),
    );
  });
}
