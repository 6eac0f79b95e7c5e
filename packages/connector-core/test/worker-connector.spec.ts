import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ConnectorError, WorkerConnector, msgpackCodec } from '@connector-kit/connector-core';
import { describeConnector, expectCode } from '@connector-kit/test-suite';
import { threadNices } from './thread-nices';

const preload = [path.join(__dirname, 'worker-test-driver.js')];

// memory:// in a thread of its own per connector (so not shared between prefixes: the spec's
// cross-connector cases run against Redis and DynamoDB in the integration tests).
describeConnector({
  name: 'WorkerConnector running memory://',
  create: ({ prefix }) => WorkerConnector.start({ url: `memory://#${encodeURIComponent(prefix)}` }),
  supports: { ttl: true, bulk: true, compareAndSet: true, persistent: false },
});

describeConnector({
  name: 'WorkerConnector running memory:// with the MessagePack codec',
  create: ({ prefix }) =>
    WorkerConnector.start({
      url: `memory://#${encodeURIComponent(prefix)}`,
      codec: 'msgpack',
      connector: { maxValueBytes: 1024 * 1024 },
    }),
  codec: msgpackCodec,
  supports: { maxValueBytes: 1024 * 1024 },
});

describe('WorkerConnector faults', () => {
  const quiet = { warn: () => undefined, error: () => undefined };
  const open = async (
    options: { operationTimeoutMs?: number; logger?: typeof quiet } = {},
  ): Promise<WorkerConnector> => {
    const c = await WorkerConnector.start({ url: 'scripted://', preload, restartDelayMs: 50, ...options });
    await c.whenReady();
    return c;
  };

  it('an error of the connector in the thread arrives with its code and message', async () => {
    const c = await open();
    const err = await expectCode(c.set('boom', 1), 'BACKEND');
    expect(err.message).toContain('boom from the driver');
    await c.set('a', { fine: true });
    expect<unknown>(await c.get('a')).toEqual({ fine: true });
    await c.close();
  });

  it('an operation that hangs in the thread is bounded by operationTimeoutMs', async () => {
    // Its close() then times out too (the thread's connector waits for the hung write): quiet.
    const c = await open({ operationTimeoutMs: 300, logger: quiet });
    const started = Date.now();
    await expectCode(c.set('hang', 1), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    await c.set('other', 2); // the thread still answers
    expect<unknown>(await c.get('other')).toBe(2);
    await c.close();
  });

  it('when the thread dies: what was in flight fails with BACKEND, error is emitted, a new thread serves what follows', async () => {
    const c = await open({ operationTimeoutMs: 5000 });
    const errors: ConnectorError[] = [];
    c.on('error', (e: ConnectorError) => errors.push(e));
    const inFlight = c.set('hang', 1);
    const crashing = c.set('crash', 1);
    for (const pending of [inFlight, crashing]) {
      const err = await expectCode(pending, 'BACKEND');
      expect(err.message).toMatch(/worker thread running scripted:\/\/ \(worker\) exited \(code 3\)/);
    }
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]!.code).toBe('BACKEND');
    await c.set('after', 'restarted'); // waits for the new thread
    expect<unknown>(await c.get('after')).toBe('restarted');
    expect(c.workerRestarts).toBe(1);
    await c.close();
    await expectCode(c.get('after'), 'CLOSED');
  });

  it('start() fails with a clear error when the thread cannot build the connector', async () => {
    const unknown = await WorkerConnector.start({ url: 'nope://somewhere' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(ConnectorError.is(unknown, 'CONFIG')).toBeTrue();
    expect((unknown as ConnectorError).message).toContain('No connector driver for "nope://"');
    await expectAsync(WorkerConnector.start({ url: 'memory://', codec: 'yaml' as 'json' })).toBeRejectedWith(
      jasmine.objectContaining({ code: 'CONFIG' }),
    );
    const preloadError = await WorkerConnector.start({
      url: 'memory://',
      preload: ['./no-such-module'],
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(ConnectorError.is(preloadError, 'CONFIG')).toBeTrue();
    expect((preloadError as ConnectorError).message).toContain(
      'could not load the preload module "./no-such-module"',
    );
  });
});

describe('WorkerConnector lowPriority', () => {
  const linux = process.platform === 'linux';
  const refused = async (): Promise<void> => {
    await expectAsync(WorkerConnector.start({ url: 'memory://', lowPriority: true })).toBeRejectedWith(
      jasmine.objectContaining({ code: 'CONFIG', message: jasmine.stringContaining('needs Linux') }),
    );
  };

  it('runs the worker thread, and only it, at the lowest CPU priority (Linux; refused elsewhere)', async () => {
    if (!linux) return refused();
    const before = threadNices();
    expect(before.get(process.pid)).toBeLessThan(19); // else there is nothing to lower
    const c = await WorkerConnector.start({ url: 'memory://', lowPriority: true });
    await c.set('k', { n: 1 });
    expect<unknown>(await c.get('k')).toEqual({ n: 1 });
    const after = threadNices();
    const lowered = [...after].filter(([, nice]) => nice === 19).map(([tid]) => tid);
    expect(lowered.length).toBe(1);
    expect(before.has(lowered[0]!)).toBeFalse(); // the new thread
    for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid)).toBe(nice);
    await c.close();
    expect(threadNices().has(lowered[0]!)).toBeFalse();
  });

  it('leaves the thread pool at the priority of the process, even when the worker would start it', async () => {
    if (!linux) return refused();
    const child = path.join(__dirname, 'worker-priority-child.js');
    const { stdout } = await promisify(execFile)(process.execPath, [child], { timeout: 30_000 });
    const { pid, before, after } = JSON.parse(stdout) as {
      pid: number;
      before: [number, number][];
      after: [number, number][];
    };
    const started = new Map(before);
    const nice = started.get(pid)!; // the child's event-loop thread
    expect(nice).toBeLessThan(19);
    const lowered = after.filter(([, n]) => n === 19);
    expect(lowered.length).toBe(1);
    expect(started.has(lowered[0]![0])).toBeFalse();
    // Every other thread, the pool's included (started in between), keeps the process's nice.
    const others = after.filter(([tid]) => tid !== lowered[0]![0]);
    expect(others.length).toBeGreaterThan(before.length); // the pool did start meanwhile
    for (const [, n] of others) expect(n).toBe(nice);
  });

  it('must be a boolean', async () => {
    await expectAsync(
      WorkerConnector.start({ url: 'memory://', lowPriority: 'yes' as unknown as boolean }),
    ).toBeRejectedWith(
      jasmine.objectContaining({ code: 'CONFIG', message: jasmine.stringContaining('lowPriority') }),
    );
  });
});
