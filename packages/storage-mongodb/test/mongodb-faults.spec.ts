import { ConnectorError } from '@connector-kit/connector-core';
import { eventually, randomPrefix, sleep, useService, type ServiceNode } from '@connector-kit/test-suite';
import { MongoStorage, type MongoStorageOptions } from '@connector-kit/storage-mongodb';
import type { CommandStartedEvent } from 'mongodb';
import { databaseOf } from './helpers';
// Registers the `mongodb` launcher (emulator, or MONGODB_URL).
import '@connector-kit/test-suite/dist/services/mongodb';

const OPERATION_TIMEOUT_MS = 1500;
/** Slack for timers and the event loop on a loaded 2-core machine. */
const SLACK_MS = 1000;
const FAILURE_CODES = ['BACKEND', 'NOT_READY', 'TIMEOUT'];

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  ms: number;
}

/** Times one operation; failures must be ConnectorErrors. */
async function timed(operation: () => Promise<unknown>): Promise<Outcome> {
  const started = Date.now();
  try {
    await operation();
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    if (!(err instanceof ConnectorError)) throw err;
    return { ok: false, code: err.code, message: err.message, ms: Date.now() - started };
  }
}

/** Fault tests need a server process we control: they are pending against MONGODB_URL. */
describe('MongoStorage when the server fails', () => {
  const mongo = useService('mongodb');
  const node = (): ServiceNode => {
    if (mongo.handle.external)
      pending('fault tests need the launcher-controlled server (MONGODB_URL is set)');
    return mongo.handle.nodes[0]!;
  };
  const storages: MongoStorage[] = [];
  afterEach(async () => {
    await Promise.allSettled(storages.splice(0).map((s) => s.close()));
    const server = mongo.handle.nodes[0];
    if (server && !server.running) await server.restart();
  }, 30_000);

  const open = async (
    options: Partial<MongoStorageOptions> = {},
  ): Promise<{
    storage: MongoStorage;
    errors: ConnectorError[];
    readyEvents: () => number;
  }> => {
    const storage = new MongoStorage({
      url: mongo.url,
      database: databaseOf(mongo.url),
      prefix: randomPrefix(),
      operationTimeoutMs: OPERATION_TIMEOUT_MS,
      heartbeatFrequencyMS: 500,
      ...options,
    });
    storages.push(storage);
    const errors: ConnectorError[] = [];
    let ready = 0;
    storage.on('error', (err: ConnectorError) => errors.push(err));
    storage.on('ready', () => ready++);
    await storage.whenReady();
    return { storage, errors, readyEvents: () => ready };
  };

  it('killed mid-stream: operations fail within their timeout, "error" is emitted, and it recovers after a restart', async () => {
    const server = node();
    const { storage, errors, readyEvents } = await open();
    await storage.set('before', { kept: true }, { version: 2 });
    // A stream of writes and reads that runs across the kill.
    let streaming = true;
    const outcomes: Outcome[] = [];
    const stream = (async () => {
      for (let i = 0; streaming; i++) {
        const outcome = await timed(() =>
          i % 2 === 0 ? storage.set(`stream-${i}`, i) : storage.get(`stream-${i - 1}`),
        );
        outcomes.push(outcome);
        if (!outcome.ok) await sleep(10); // fast failures must not spin the event loop
      }
    })();
    let beforeKill: number;
    try {
      await sleep(300);
      beforeKill = outcomes.length;
      await server.kill('SIGKILL');
      await eventually(() => errors.length > 0, 10_000, "an 'error' event after the kill");
      expect(storage.isReady).toBe(false);
      await sleep(2 * OPERATION_TIMEOUT_MS);
    } finally {
      streaming = false;
      await stream;
    }

    expect(beforeKill).toBeGreaterThan(0);
    expect(outcomes.slice(0, beforeKill).every((o) => o.ok)).toBe(true);
    const failures = outcomes.filter((o) => !o.ok);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(FAILURE_CODES).toContain(failure.code!);
      expect(failure.ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
    }
    expect(errors.every((e) => e instanceof ConnectorError && e.code === 'BACKEND')).toBe(true);
    expect(errors[0]!.message).toContain('unavailable');

    await server.restart();
    await eventually(() => storage.isReady, 15_000, 'ready again after the restart');
    expect(readyEvents()).toBe(2);
    // Data written before the kill survived (the server keeps a data file), and writes work again.
    expect<unknown>(await storage.getEntry('before')).toEqual({ value: { kept: true }, version: 2 });
    await storage.set('after', 'written');
    expect<unknown>(await storage.get('after')).toBe('written');
  }, 60_000);

  it('killed while an auto-batched bulkWrite is in flight: every caller fails with a clear error, and it recovers', async () => {
    const server = node();
    const { storage, errors } = await open({ clientOptions: { monitorCommands: true } });
    const sent: CommandStartedEvent[] = [];
    storage.client.on('commandStarted', (event: CommandStartedEvent) => {
      if (event.commandName === 'update') sent.push(event);
    });
    const keys = Array.from({ length: 20 }, (_, i) => `batch-${i}`);
    // Frozen first, so the batch is written to the socket and is still unanswered at the kill.
    server.pause();
    let outcomes: Promise<Outcome[]>;
    try {
      outcomes = Promise.all(keys.map((key, i) => timed(() => storage.set(key, i))));
      await eventually(() => sent.length > 0, 5000, 'the batch to be sent');
      expect(sent.length).toBe(1);
      expect((sent[0]!.command.updates as unknown[]).length).toBe(keys.length);
      await server.kill('SIGKILL');
    } finally {
      server.resume();
    }
    const failures = await outcomes;
    for (const failure of failures) {
      expect(failure.ok).toBe(false);
      expect(FAILURE_CODES).toContain(failure.code!);
      // Says what failed: the driver's network error under "mongodb set", or the set's timeout.
      expect(failure.message).toMatch(/mongodb set: MongoDB unreachable|mongodb set timed out/);
      expect(failure.ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
    }
    await eventually(() => errors.length > 0, 10_000, "an 'error' event after the kill");

    await server.restart();
    await eventually(() => storage.isReady, 15_000, 'ready again after the restart');
    await Promise.all(keys.map((key, i) => storage.set(key, { i })));
    expect<unknown>(await storage.getBulk(keys)).toEqual(keys.map((_, i) => ({ i })));
  }, 60_000);

  it('frozen (SIGSTOP): operations time out within their timeout, and it recovers when the server resumes', async () => {
    const server = node();
    const { storage, errors } = await open();
    await storage.set('k', 1);
    server.pause();
    try {
      const outcome = await timed(() => storage.get('k'));
      expect(outcome.ok).toBe(false);
      expect(FAILURE_CODES).toContain(outcome.code!);
      expect(outcome.ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
      await eventually(() => errors.length > 0, 10_000, "an 'error' event while frozen");
    } finally {
      server.resume();
    }
    await eventually(() => storage.isReady, 15_000, 'ready again after resume');
    expect<unknown>(await storage.get('k')).toBe(1);
  }, 60_000);

  it('started while the server is down: becomes ready once the server is up', async () => {
    const server = node();
    await server.kill('SIGKILL');
    const storage = new MongoStorage({
      url: mongo.url,
      database: databaseOf(mongo.url),
      prefix: randomPrefix(),
      operationTimeoutMs: OPERATION_TIMEOUT_MS,
    });
    storages.push(storage);
    const errors: ConnectorError[] = [];
    storage.on('error', (err: ConnectorError) => errors.push(err));
    const early = await timed(() => storage.set('k', 'v'));
    expect(early.ok).toBe(false);
    expect(early.code).toBe('NOT_READY');
    await eventually(() => errors.length > 0, 10_000, "an 'error' event for the failed connect");
    expect(errors[0]!.message).toContain('Cannot connect');
    await server.restart();
    await eventually(() => storage.isReady, 15_000, 'ready once the server is up');
    await storage.set('k', 'v');
    expect<unknown>(await storage.get('k')).toBe('v');
  }, 60_000);
});
